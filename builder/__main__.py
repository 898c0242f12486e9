from builder.cli import main

# Guarded: worker processes (forkserver, spawn) import the main module and must not rerun the CLI.
if __name__ == "__main__":
    raise SystemExit(main())
