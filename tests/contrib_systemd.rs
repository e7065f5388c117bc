//! The systemd units in contrib/systemd and the Prometheus rules in contrib/prometheus.
