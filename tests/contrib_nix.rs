//! The NixOS and home-manager modules of flake.nix.
