//! Contrib/justfile and the Ansible role in contrib/ansible.
