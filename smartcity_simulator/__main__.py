"""``python -m smartcity_simulator``: write the simulated example raw data (deterministic)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from smartcity_simulator.simulate import simulate_raw
from smartcity_utils import paths


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, simulate, print where the files went."""
    parser = argparse.ArgumentParser(prog="python -m smartcity_simulator",
                                     description="Write the simulated example raw data (deterministic).")
    parser.add_argument("--out", default=str(paths.EXAMPLE_RAW_DIR), help="raw folder (default: %(default)s)")
    parser.add_argument("--truth", default=None,
                        help="folder for the truth tables (default: 'truth' beside the raw folder)")
    parser.add_argument("--seed", type=int, default=2017, help="random seed (default: %(default)s)")
    parser.add_argument("--national", action="store_true",
                        help="all 514 regencies, every layout (for benchmarks)")
    args = parser.parse_args(argv)
    result = simulate_raw(Path(args.out), seed=args.seed, national=args.national,
                          truth_dir=Path(args.truth) if args.truth else None)
    print(f"simulated raw data written to {args.out} ({len(getattr(result, 'paths', []) or [])} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
