#!/usr/bin/env python3
"""Write the doctor's example captures to data/captures/.

Usage: python scripts/make_captures.py [FOLDER]

The captures come from `wxpay_lesson.doctor.examples`: genuine notifications of the
simulated platform with fixed times and nonces, broken on purpose. Running the script
again writes the same bytes; tests/test_doctor_cli.py checks that the committed files
match.
"""

from __future__ import annotations

import sys
from pathlib import Path

from wxpay_lesson.doctor.examples import example_captures
from wxpay_lesson.testkeys import DATA_DIR


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else DATA_DIR / "captures"
    folder.mkdir(parents=True, exist_ok=True)
    for capture in example_captures():
        (folder / capture.filename).write_bytes(capture.data)
        print(f"wrote {folder / capture.filename}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
