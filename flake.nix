{
  description = "strata: small composable command-line tools for ZFS-on-root servers, speaking NDJSON";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      packages = forAllSystems (pkgs: rec {
        strata = pkgs.rustPlatform.buildRustPackage {
          pname = "strata";
          version = (builtins.fromTOML (builtins.readFile ./Cargo.toml)).workspace.package.version;
          src = ./.;
          cargoLock.lockFile = ./Cargo.lock;
          cargoBuildFlags = [ "--package" "strata" "--bins" ];
          # The unit tests need no external programs; the reference tests (ssh, systemd-analyze,
          # borg, the ZFS lab) run with `cargo xtask ci`.
          cargoTestFlags = [ "--workspace" "--lib" ];
          nativeBuildInputs = [ pkgs.installShellFiles ];
          postInstall = ''
            installManPage man/*.1
            for f in completions/*.bash; do installShellCompletion --bash "$f"; done
            for f in completions/_*; do installShellCompletion --zsh "$f"; done
            for f in completions/*.fish; do installShellCompletion --fish "$f"; done
          '';
          meta = {
            description = "Small composable command-line tools for ZFS-on-root servers";
            license = pkgs.lib.licenses.mit;
            mainProgram = "strata";
            platforms = pkgs.lib.platforms.linux;
          };
        };
        default = strata;
      });

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          inputsFrom = [ self.packages.${pkgs.system}.strata ];
          packages = with pkgs; [ clippy rustfmt rust-analyzer just tmux openssh qemu borgbackup prometheus ];
        };
      });

      checks = forAllSystems (pkgs: {
        strata = self.packages.${pkgs.system}.strata;
      });

      # services.strata: the units of contrib/systemd for the pools named, and the datasets' policy.
      nixosModules.strata = { lib, pkgs, ... }: {
        imports = [ ./nix/nixos.nix ];
        services.strata.package = lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.strata;
      };
      nixosModules.default = self.nixosModules.strata;

      # programs.strata: the tools with man pages and completions, and a key for strata sshtui.
      homeManagerModules.strata = { lib, pkgs, ... }: {
        imports = [ ./nix/home-manager.nix ];
        programs.strata.package = lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.strata;
      };
      homeManagerModules.default = self.homeManagerModules.strata;
    };
}
