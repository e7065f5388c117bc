# NixOS module: services.strata, the units of contrib/systemd for the pools and datasets named
# here, and each dataset's policy set from the configuration.
#
# The units are the ones contrib/systemd ships (tests/contrib_nix.rs holds them to those files):
#   strata@.service, strata-check@.service   templates, instance = a pool or dataset (%I)
#   strata@NAME.timer, strata-check@NAME.timer   one each per entry of `pools`, NAME escaped as
#                                                 systemd-escape does (tank/srv -> tank-srv)
#   strata-policy.service   a oneshot running `strata snapshot policy set` for each of `datasets`
#
# Data never becomes code: a dataset name reaches the unit scripts as an argument (systemd's
# %I), and the policy script quotes every argument with lib.escapeShellArgs after the option
# types have refused anything strata itself would refuse.
{ config, lib, pkgs, ... }:

let
  inherit (lib) mkEnableOption mkIf mkMerge mkOption mkPackageOption literalExpression types;

  cfg = config.services.strata;

  # A ZFS dataset name as strata accepts one: components of letters, digits, '_', '-', ':', '.'
  # and space, joined by '/', the first (the pool) starting with a letter; no '.' or '..'
  # component, under 256 bytes.
  isDataset = s:
    builtins.match "[A-Za-z][A-Za-z0-9_.: -]*(/[A-Za-z0-9_.: -]+)*" s != null
    && builtins.match "(.*/)?[.][.]?(/.*)?" s == null
    && builtins.stringLength s < 256;

  datasetType = types.addCheck types.str isDataset // {
    description = "ZFS dataset name (letters, digits, '_', '-', ':', '.', space; '/' between components)";
  };

  # `strata snapshot policy set` refuses anything else; refusing it here names the option.
  # An interval: a number and m, h, d or w, at most ten years (strata's own limit).
  intervalType = types.addCheck types.str (s:
    let m = builtins.match "([1-9][0-9]{0,6})([mhdw])" s;
        unit = { m = 60; h = 3600; d = 86400; w = 604800; };
    in s == "off" || (m != null
      && builtins.fromJSON (builtins.elemAt m 0) * unit.${builtins.elemAt m 1} <= 10 * 366 * 86400)) // {
    description = "`off` or an interval: a number and m, h, d or w (15m, 1h, 1d), at most ten years";
  };
  # Keep rules: RULE=N joined by commas, each rule once, within a duration, keeping something.
  keepType = types.addCheck types.str (s:
    let
      parts = builtins.filter builtins.isString (builtins.split "," s);
      rule = p: builtins.match "(within)=[1-9][0-9]{0,5}[hHdwmy]|(last|hourly|daily|weekly|monthly|yearly)=([0-9]{1,6})" p;
      rules = map rule parts;
      names = map (m: if builtins.elemAt m 0 != null then "within" else builtins.elemAt m 1) rules;
      keeps = m: builtins.elemAt m 0 != null || builtins.match "0*" (builtins.elemAt m 2) == null;
    in !(builtins.elem null rules)
      && lib.unique names == names
      && builtins.any keeps rules) // {
    description = "keep rules (within=DURATION, last, hourly, daily, weekly, monthly, yearly=N; each once, e.g. hourly=24,daily=7)";
  };
  # A send target, read as strata reads it: split at the first ':' (host part) and the first '@'
  # of that (user); host and user of letters, digits, '.', '_', '-', not starting with '-'.
  hostWord = w: builtins.match "[A-Za-z0-9._][A-Za-z0-9._-]*" w != null;
  sendType = types.addCheck types.str (s:
    let
      m = builtins.match "([^:]*):(.*)" s;
      h = builtins.elemAt m 0;
      u = builtins.match "([^@]*)@(.*)" h;
    in
    if m == null then isDataset s
    else (if u == null then hostWord h else hostWord (builtins.elemAt u 0) && hostWord (builtins.elemAt u 1))
      && isDataset (builtins.elemAt m 1)) // {
    description = "replication target, [user@]host:pool/path or pool/path";
  };
  percentType = types.strMatching "100([.]0{1,3})?%|[1-9]?[0-9]([.][0-9]{1,3})?%" // {
    description = "a percentage from 0% to 100%, e.g. 80%";
  };
  percentValue = p: builtins.fromJSON (builtins.replaceStrings [ "%" ] [ "" ] p);
  textfileDirType = types.strMatching "/[A-Za-z0-9._/-]*";

  # systemd-escape of a name holding only what datasetType allows.
  escapeInstance = name:
    let s = builtins.replaceStrings [ "-" " " "/" ] [ "\\x2d" "\\x20" "-" ] name;
    in if builtins.substring 0 1 s == "." then "\\x2e" + builtins.substring 1 (-1) s else s;

  # % starts a systemd specifier in Environment= (and in ExecStart=, even after ':'): doubled.
  escapePercent = builtins.replaceStrings [ "%" ] [ "%%" ];

  bash = "${pkgs.bash}/bin/bash";
  dir = cfg.prometheus.textfileDirectory;

  # What both units of contrib/systemd share: root with CAP_SYS_ADMIN only, /dev/zfs, the state
  # directory, and the rest of the sandbox.
  sharedHardening = {
    User = "root";
    CapabilityBoundingSet = "CAP_SYS_ADMIN";
    PrivateDevices = true;
    BindPaths = "/dev/zfs";
    DeviceAllow = "/dev/zfs rw";
    StateDirectory = "strata";
    ProtectSystem = "strict";
    PrivateTmp = true;
    PrivateMounts = true;
    NoNewPrivileges = true;
    ProtectKernelTunables = true;
    ProtectKernelModules = true;
    ProtectKernelLogs = true;
    ProtectControlGroups = true;
    ProtectClock = true;
    ProtectHostname = true;
    ProtectProc = "invisible";
    ProcSubset = "pid";
    RestrictNamespaces = true;
    RestrictRealtime = true;
    RestrictSUIDSGID = true;
    LockPersonality = true;
    MemoryDenyWriteExecute = true;
    SystemCallArchitectures = "native";
    SystemCallFilter = [ "@system-service" "~@privileged @resources" ];
    SystemCallErrorNumber = "EPERM";
    KeyringMode = "private";
    UMask = "0077";
  };

  # [Unit] and [Service] of contrib/systemd/strata@.service.
  tickHardening = sharedHardening // {
    ReadWritePaths = "/run/lock";
    ProtectHome = "tmpfs";
    BindReadOnlyPaths = "-/root/.ssh";
    RestrictAddressFamilies = "AF_UNIX AF_INET AF_INET6";
  };

  tickScript = "'set -o pipefail; rc=0; strata snapshot create --due -r -- \"$1\" || rc=$?; strata prune plan --policy -r -- \"$1\" | strata prune apply --yes || rc=$?; strata send --policy -r -- \"$1\" || rc=$?; exit \"$rc\"'";

  # [Unit] and [Service] of contrib/systemd/strata-check@.service.
  checkHardening = sharedHardening // {
    ReadWritePaths = "-${dir}";
    ProtectHome = true;
    PrivateNetwork = true;
    IPAddressDeny = "any";
    RestrictAddressFamilies = "AF_UNIX";
  };

  checkScript = "'rc=0; run() { \"$@\"; r=$?; if [ \"$r\" -gt 2 ]; then rc=$r; fi; }; run strata snapshot check -r --prometheus \"$2\" -- \"$1\"; run strata send check -r --prometheus \"$3\" -- \"$1\"; run strata quota check -r --warn \"$STRATA_QUOTA_WARN\" --crit \"$STRATA_QUOTA_CRIT\" --prometheus \"$4\" -- \"$1\"; exit \"$rc\"'";

  textfile = check: "${dir}/strata-${check}-%i.prom";

  # What the units run: strata, zfs, and ssh for replication to another host.
  unitPath = [ cfg.package cfg.zfsPackage pkgs.openssh ];

  policyArgs = name: d:
    [ "snapshot" "policy" "set" name ]
    ++ lib.optionals (d.every != null) [ "--every" d.every ]
    ++ lib.optionals (d.keep != null) [ "--keep" d.keep ]
    ++ lib.optionals (d.send != null) [ "--send" d.send ]
    ++ (let unset = builtins.filter (p: d.${p} == null) [ "every" "keep" "send" ];
        in lib.optionals (unset != [ ]) [ "--inherit" (lib.concatStringsSep "," unset) ]);

  policyScript = ''
    rc=0
  '' + lib.concatStrings (lib.mapAttrsToList (name: d: ''
    ${lib.escapeShellArg "${cfg.package}/bin/strata"} ${lib.escapeShellArgs (policyArgs name d)} || rc=$?
  '') cfg.datasets) + ''
    exit "$rc"
  '';

  timer = description: timerConfig: {
    inherit description timerConfig;
    documentation = [ "man:strata-snapshot(1)" ];
    wantedBy = [ "timers.target" ];
  };

  badNames = builtins.filter (n: !isDataset n) (builtins.attrNames cfg.datasets);
in
{
  options.services.strata = {
    enable = mkEnableOption "strata's policy life (snapshots, retention, replication) and checks for ZFS datasets";

    package = mkPackageOption pkgs "strata" { };

    zfsPackage = mkOption {
      type = types.package;
      default = config.boot.zfs.package;
      defaultText = literalExpression "config.boot.zfs.package";
      description = "The ZFS whose `zfs` command the units run.";
    };

    pools = mkOption {
      type = types.listOf datasetType;
      default = [ ];
      example = [ "rpool" "tank/srv" ];
      description = ''
        Pools or datasets to tick. Each gets `strata@NAME.timer` (every 15 minutes: snapshots that
        are due, retention by strata:keep, replication to strata:send, for the dataset and all
        below it) and `strata-check@NAME.timer` (every 5 minutes: the snapshot, send and quota
        checks written as Prometheus textfiles), NAME escaped as `systemd-escape` does.
        What each dataset gets is its strata:* properties; set them with `datasets`.
      '';
    };

    datasets = mkOption {
      type = types.attrsOf (types.submodule {
        options = {
          every = mkOption {
            type = types.nullOr intervalType;
            default = null;
            example = "1h";
            description = "strata:snapshot: `off` or the interval between snapshots (15m, 1h, 1d, 1w). null: inherited.";
          };
          keep = mkOption {
            type = types.nullOr keepType;
            default = null;
            example = "hourly=24,daily=7,weekly=4";
            description = "strata:keep: the retention rules (within, last, hourly, daily, weekly, monthly, yearly). null: inherited.";
          };
          send = mkOption {
            type = types.nullOr sendType;
            default = null;
            example = "backup:pool/x";
            description = "strata:send: the replication target prefix, `[user@]host:pool/path` or `pool/path`. null: inherited.";
          };
        };
      });
      default = { };
      example = literalExpression ''
        {
          "tank/srv" = { every = "1h"; keep = "daily=7,weekly=4"; send = "backup:pool/x"; };
          "tank/srv/scratch".every = "off";
        }
      '';
      description = ''
        The policy of each dataset, written by `strata-policy.service` at boot and on every
        switch with `strata snapshot policy set`. A field left null is inherited (`zfs inherit`),
        so the parent's value applies: the configuration is the whole local policy.
        Descendants inherit what is set here.
      '';
    };

    quota = {
      warn = mkOption {
        type = percentType;
        default = "80%";
        description = "The used share of a quota at which `strata-check@` reports a warning.";
      };
      crit = mkOption {
        type = percentType;
        default = "95%";
        description = "The used share of a quota at which `strata-check@` reports critical.";
      };
    };

    prometheus.textfileDirectory = mkOption {
      type = textfileDirType;
      default = "/var/lib/prometheus/node-exporter";
      example = "/var/lib/prometheus-node-exporter-text-files";
      description = ''
        Where `strata-check@NAME` writes `strata-snapshot-NAME.prom`, `strata-send-NAME.prom`
        and `strata-quota-NAME.prom`. Point the node exporter's textfile collector at it:
        `services.prometheus.exporters.node.enabledCollectors = [ "textfile" ]` and
        `extraFlags = [ "--collector.textfile.directory=DIR" ]`.
      '';
    };
  };

  config = mkIf cfg.enable (mkMerge [
    {
      assertions = [
        {
          assertion = badNames == [ ];
          message = "services.strata.datasets: not a ZFS dataset name: ${builtins.toJSON badNames}";
        }
        {
          assertion = percentValue cfg.quota.warn <= percentValue cfg.quota.crit;
          message = "services.strata.quota: warn (${cfg.quota.warn}) must not be above crit (${cfg.quota.crit})";
        }
      ];

      environment.systemPackages = [ cfg.package ];

      systemd.tmpfiles.rules = [ "d ${dir} 0755 root root -" ];

      systemd.services."strata@" = {
        description = "strata policy of %I: due snapshots, retention, replication";
        documentation = [ "man:strata-snapshot(1)" "man:strata-prune(1)" "man:strata-send(1)" ];
        after = [ "zfs.target" "network-online.target" ];
        wants = [ "network-online.target" ];
        path = unitPath;
        serviceConfig = tickHardening // {
          Type = "oneshot";
          ExecStart = ":${bash} -c ${tickScript} strata %I";
        };
      };

      systemd.services."strata-check@" = {
        description = "strata checks of %I for the Prometheus node exporter";
        documentation = [ "man:strata-snapshot(1)" "man:strata-send(1)" "man:strata-quota(1)" ];
        after = [ "zfs.target" "strata@%i.service" ];
        path = unitPath;
        serviceConfig = checkHardening // {
          Type = "oneshot";
          Environment = "STRATA_QUOTA_WARN=${escapePercent cfg.quota.warn} STRATA_QUOTA_CRIT=${escapePercent cfg.quota.crit}";
          ExecStart = ":${bash} -c ${checkScript} strata-check %I ${textfile "snapshot"} ${textfile "send"} ${textfile "quota"}";
        };
      };

      systemd.timers = lib.listToAttrs (lib.concatMap (pool: [
        (lib.nameValuePair "strata@${escapeInstance pool}" (timer "strata policy of %I every 15 minutes" {
          OnCalendar = "*:0/15";
          Persistent = true;
          RandomizedDelaySec = "5min";
          FixedRandomDelay = true;
          AccuracySec = "1min";
        }))
        (lib.nameValuePair "strata-check@${escapeInstance pool}" (timer "strata checks of %I every 5 minutes" {
          OnCalendar = "*:0/5";
          Persistent = true;
          RandomizedDelaySec = "2min";
          FixedRandomDelay = true;
          AccuracySec = "30s";
        }))
      ]) cfg.pools);
    }

    (mkIf (cfg.datasets != { }) {
      systemd.services.strata-policy = {
        description = "strata policy of the datasets in services.strata.datasets";
        documentation = [ "man:strata-snapshot(1)" ];
        wantedBy = [ "multi-user.target" ];
        after = [ "zfs-import.target" ];
        wants = [ "zfs-import.target" ];
        before = map (p: "strata@${escapeInstance p}.service") cfg.pools;
        path = [ cfg.zfsPackage ];
        # Set again whenever the configuration changes (a oneshot that stays active is
        # restarted by a switch when its unit changed).
        serviceConfig = builtins.removeAttrs tickHardening [ "StateDirectory" "BindReadOnlyPaths" "ReadWritePaths" ] // {
          Type = "oneshot";
          RemainAfterExit = true;
          PrivateNetwork = true;
          RestrictAddressFamilies = "AF_UNIX";
        };
        script = policyScript;
      };
    })
  ]);
}
