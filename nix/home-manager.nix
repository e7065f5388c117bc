# home-manager module: programs.strata, the strata tools with their man pages and completions
# (the package installs both), and an optional key that opens `strata sshtui` from the prompt of
# bash, zsh or fish.
{ config, lib, pkgs, ... }:

let
  inherit (lib) mkEnableOption mkIf mkMerge mkOption mkPackageOption types;

  cfg = config.programs.strata;
  key = cfg.sshtui.key;

  # "ctrl-s" -> [ "ctrl" "s" ]
  parts = builtins.match "(ctrl|alt)-([a-z])" key;
  ctrl = builtins.elemAt parts 0 == "ctrl";
  letter = builtins.elemAt parts 1;

  strata = lib.escapeShellArg "${cfg.package}/bin/strata";

  # Ctrl-S and Ctrl-Q are the terminal's flow control (stop and start output) unless it is
  # turned off; the shells that leave it on get it turned off, or the key never arrives.
  flowControlKey = ctrl && (letter == "s" || letter == "q");

  bash = ''
    __strata_sshtui() { ${strata} sshtui; }
  '' + lib.optionalString flowControlKey ''
    [[ -t 0 ]] && stty -ixon 2>/dev/null
  '' + ''
    bind -x '"${if ctrl then "\\C-" else "\\e"}${letter}": __strata_sshtui'
  '';

  # A zle widget: the terminal is handed to the picker and the prompt drawn again after it.
  zsh = ''
    __strata_sshtui() {
      zle -I
      ${strata} sshtui </dev/tty
      zle reset-prompt
    }
    zle -N __strata_sshtui
  '' + lib.optionalString flowControlKey ''
    unsetopt flow_control
  '' + ''
    bindkey '${if ctrl then "^" + lib.toUpper letter else "^[" + letter}' __strata_sshtui
  '';

  fish = ''
    function __strata_sshtui --description 'strata sshtui: pick a host, ssh to it'
        ${strata} sshtui
        commandline -f repaint
    end
    bind ${if ctrl then "\\c" else "\\e"}${letter} __strata_sshtui
    bind -M insert ${if ctrl then "\\c" else "\\e"}${letter} __strata_sshtui
  '';
in
{
  options.programs.strata = {
    enable = mkEnableOption "strata, small command-line tools for ZFS-on-root servers (with man pages and shell completions)";

    package = mkPackageOption pkgs "strata" { };

    sshtui = {
      key = mkOption {
        type = types.nullOr (types.strMatching "(ctrl|alt)-[a-z]");
        default = null;
        example = "ctrl-s";
        description = ''
          A key that opens `strata sshtui` (pick a host from ~/.ssh/config, Enter runs ssh) at
          the prompt of the shells enabled below, written `ctrl-LETTER` or `alt-LETTER`. null:
          no key. With ctrl-s or ctrl-q the terminal's flow control is turned off in bash and
          zsh (fish already does), since those keys would otherwise stop and start output.
        '';
      };
      enableBashIntegration = mkOption {
        type = types.bool;
        default = true;
        description = "Bind the key in bash (programs.bash).";
      };
      enableZshIntegration = mkOption {
        type = types.bool;
        default = true;
        description = "Bind the key in zsh (programs.zsh).";
      };
      enableFishIntegration = mkOption {
        type = types.bool;
        default = true;
        description = "Bind the key in fish (programs.fish).";
      };
    };
  };

  config = mkIf cfg.enable (mkMerge [
    { home.packages = [ cfg.package ]; }
    (mkIf (key != null && cfg.sshtui.enableBashIntegration) { programs.bash.initExtra = bash; })
    (mkIf (key != null && cfg.sshtui.enableZshIntegration) { programs.zsh.initContent = zsh; })
    (mkIf (key != null && cfg.sshtui.enableFishIntegration) { programs.fish.interactiveShellInit = fish; })
  ]);
}
