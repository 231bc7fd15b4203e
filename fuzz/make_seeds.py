#!/usr/bin/env python3
"""Writes the fuzz seed corpora (fuzz/seeds/<target>/) from the repository's
fixtures: tests/fixtures/**, the head of each www/data/*.csv, the scan examples
of README.md, hand-written edge cases, bar-cache codec frames of a few small
series and ZIP archives of the import fixtures. Deterministic; run it from
anywhere after the fixtures change, then commit fuzz/seeds. Standard library
only. The fuzz targets read nothing from here at run time: scripts/fuzz.sh
copies the seeds into the working corpus fuzz/corpus/<target>/."""

import hashlib
import io
import pathlib
import re
import shutil
import struct
import zipfile

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent
FIX = ROOT / "tests" / "fixtures"
OUT = FUZZ / "seeds"

# A sample file's first lines are enough to seed every code path.
HEAD_LINES = 30


def write(target, data, name=None):
    if isinstance(data, str):
        data = data.encode()
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    name = name or hashlib.sha1(data).hexdigest()[:16]
    (d / name).write_bytes(data)


def head(path, n=HEAD_LINES):
    return b"".join(path.read_bytes().splitlines(keepends=True)[:n])


# --- CSV -------------------------------------------------------------------

CSV_EDGE = [
    # Stooq, semicolons, tabs, epochs, offsets, Yahoo null rows, BOM, quoting.
    "Date;Open;High;Low;Close;Volume\n2024-01-02;10;11;9;10.5;100\n2024-01-03;10.5;12;10;11;200\n",
    "date\topen\thigh\tlow\tclose\n2024/01/02\t10\t11\t9\t10.5\n2024/01/03\t10.5\t12\t10\t11\n",
    "timestamp,o,h,l,c,v\n1704153600,10,11,9,10.5,1\n1704240000,10.5,12,10,11,2\n",
    "t,o,h,l,c,v\n1704153600000,10,11,9,10.5,1\n1704240000000,10.5,12,10,11,2\n",
    "ts,open,high,low,close,vol\n1704153600000000,10,11,9,10.5,1\n1704240000000000000,10.5,12,10,11,2\n",
    "Datetime,Open,High,Low,Close,Volume\n2024-01-02 09:30:00-05:00,10,11,9,10.5,5\n"
    "2024-01-02T10:30:00.250Z,10.5,12,10,11,6\n2024-01-02 11:30+01,10.5,12,10,11,6\n",
    "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,null,null,null,null,null,null\n"
    "2024-01-03,10,11,9,10.5,5.25,100\n\n,,,,,,\n",
    "\ufeffDate,Open,High,Low,Close\n\"2024-01-02\",\"10\",\"11\",\"9\",\"10.5\"\n",
    "<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>\n20240102,093000,10,11,9,10.5\n20240102,100000,10,11,9,10.5\n",
    "Ticker,Date,Close,Open,High,Low\nA,2024-01-02,10,10,11,9\nB,2024-01-02,5,5,6,4\nA,2024-01-01,10,10,11,9\n,2024-01-02,1,1,1,1\n",
    "Date,Open,High,Low,Close,Volume\n2024-01-02,10,11,9,nan,1\n2024-01-03,1e308,1e309,-1,0,-5\n",
    "Date,Open,High,Low,Close\n",
    "2024-01-02,10,11,9,10.5,100\n",
    "",
]


def csv_seeds():
    for p in sorted((FIX / "import").iterdir()):
        write("csv_read", p.read_bytes(), "fixture-" + p.name)
    for p in sorted((ROOT / "www" / "data").glob("*.csv")):
        write("csv_read", head(p), "www-" + p.name)
    for text in CSV_EDGE:
        write("csv_read", text)


# --- Scan language -----------------------------------------------------------

LANG_EDGE = [
    "close > sma(close, 200) and rsi(14) < 30",
    "close > smaa(close, 20)",
    "sma(close, 50) crosses above sma(close, 200)",
    "ema(close, 12) crosses below ema(close, 26)",
    "not (close > open) or close[1] <> open[1]",
    "-(close - open) / (high - low) >= -0.5",
    "close / 0 > 1",
    "stoch_k(14, 3, 3) > stoch_d(14, 3, 3) and stochrsi_k(14, 3, 3) < 20",
    "bb_upper(20, 2) - bb_lower(20, 2) > 2 * atr(14)",
    "sar(0.02, 0.2) < low and willr(14) > -20 and cci(20) > 100 and mfi(14) < 80",
    "aroon_up(25) > aroon_down(25) and aroonosc(14) > 0 and plus_di(14) > minus_di(14)",
    "obv() > obv()[5] and ad() > 0 and adosc(3, 10) > 0 and trange() > 0 and natr(14) < 5",
    "linearreg_slope(close, 14) > 0 and linearreg(hlc3, 14) > ohlc4 and stddev(hl2, 20) > 0",
    "roc(close, 10) > mom(close, 10) and kama(close, 30) > tema(close, 30) > dema(close, 30)",
    "wma(close, 10) == sum(close, 10) / 10 and lowest(low, 20) < highest(high, 20)",
    "cdl_hammer() != 0 or cdl_doji() or cdl_morningstar() > 0 or cdl_eveningstar() < 0",
    "cdl_shootingstar() < 0 or cdl_harami() = 80 or cdl_3whitesoldiers() > 0 or cdl_3blackcrows() < 0",
    "cdl_piercing() > 0 or cdl_darkcloudcover() < 0 or cdl_marubozu() = 100",
    'signal = "Strong Long" or (trend_score >= 2 and momentum_score >= 1)',
    "volume_score + volatility_score + oscillator_score + breakout_score - risk_score > 0",
    "true and not false",
    "close[1][2] > close[99999999]",
    "((((((((((close))))))))))>1",
    "close >\n  open\n  and\tvolume > 0",
    "Close > SMA(CLOSE, 5)",
    'signal = "Long',
    "close > 1e400",
    "rsi() < 30",
    "sma(close) > 0",
    "close > ",
    "",
    "close > open\0rsi(14)\0close - open\0volume > avg(volume, 20)\0tech_rating",
    "close > 0\0sma(close, 20\0",
    "close > 0\0\"text\"",
]


def lang_seeds():
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"## The scan language\s+```\n(.*?)```", readme, re.S)
    if m:
        for line in m.group(1).splitlines():
            if line.strip():
                write("lang_compile", line)
    # Inline examples anywhere in the README: `rsi(14) < 30` and the like.
    for ex in re.findall(r"--expr '([^']+)'", readme):
        write("lang_compile", ex)
    for text in LANG_EDGE:
        write("lang_compile", text)


# --- Service JSON ------------------------------------------------------------

SERVICE_EDGE = {
    "json_binance": [
        '[[1704153600000,"1","2","0.5","1.5","10",1704239999999,"15",5,"5","7","0"]]',
        '[[1704153600000,"1","2","0.5","1.5"]]',
        '[{"symbol":"ETHUSDT","quoteVolume":"1e9"},{"symbol":"BTCUSDT","quoteVolume":"2e9"},'
        '{"symbol":"ETHBTC","quoteVolume":"3"},{"symbol":"XUSDT","quoteVolume":"-1"}]',
        '{"code":-1121,"msg":"Invalid symbol."}',
        "[]",
        "",
    ],
    "json_coinbase": [
        "[[1704153600,0.5,2,1,1.5,10],[1704067200,0.5,2,1,1.5,10],[1704153600,0.5,2,1,1.5,10]]",
        '{"message":"NotFound"}',
        "{}",
        "[]",
    ],
    "json_polygon": [
        '{"status":"OK","resultsCount":1,"results":[{"t":1704153600000,"o":1,"h":2,"l":0.5,"c":1.5,"v":10}],'
        '"next_url":"https://api.polygon.io/v2/aggs/ticker/AAPL/range/1/day/2024-01-03/2024-02-01?cursor=abc"}',
        '{"status":"DELAYED","results":[{"t":1704153600000,"o":1,"h":2,"l":0.5,"c":1.5}]}',
        '{"status":"ERROR","error":"Unknown API Key"}',
        "[]",
    ],
    "json_twelvedata": [
        '{"meta":{"symbol":"AAPL","interval":"1day"},"values":[{"datetime":"2024-01-03","open":"1",'
        '"high":"2","low":"0.5","close":"1.5","volume":"10"},{"datetime":"2024-01-02 09:30:00",'
        '"open":"1","high":"2","low":"0.5","close":"1.5"}],"status":"ok"}',
        '{"code":429,"message":"You have run out of API credits","status":"error"}',
        '{"status":"ok","values":[]}',
    ],
}


def json_seeds():
    for target, service in [
        ("json_binance", "binance"),
        ("json_coinbase", "coinbase"),
        ("json_polygon", "polygon"),
        ("json_twelvedata", "twelvedata"),
    ]:
        for p in sorted((FIX / service).iterdir()):
            write(target, p.read_bytes(), "fixture-" + p.name)
        for text in SERVICE_EDGE[target]:
            write(target, text)


# --- Bar cache codec ---------------------------------------------------------

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK = (1 << 64) - 1


def checksum(data):
    """src/data/codec.rs `checksum`: FNV-1a over LE 8-byte words, tail bytes, length."""
    h = FNV_OFFSET
    whole = len(data) // 8 * 8
    for i in range(0, whole, 8):
        (w,) = struct.unpack_from("<Q", data, i)
        h = ((h ^ w) * FNV_PRIME) & MASK
    for b in data[whole:]:
        h = ((h ^ b) * FNV_PRIME) & MASK
    return ((h ^ len(data)) * FNV_PRIME) & MASK


def zigzag_varint(v):
    z = ((v << 1) ^ (v >> 63)) & MASK
    out = bytearray()
    while z >= 0x80:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


def encode(rows, schema=2, decimal=None):
    """src/data/codec.rs `encode_columns` (schema 2): magic, schema, count, six
    columns (tag 0 raw, or tag 1 decimal: scale, zigzag varint differences;
    time as differences of differences), checksum. `decimal` = the scale for
    the value columns (the rows must be exact at it); None writes them raw."""
    n = len(rows)
    out = bytearray(b"TCB1" + struct.pack("<IQ", schema, n))
    if schema < 2:
        out += struct.pack("<%dq" % n, *[r[0] for r in rows])
        for k in range(1, 6):
            out += struct.pack("<%dd" % n, *[r[k] for r in rows])
        return bytes(out + struct.pack("<Q", checksum(bytes(out))))
    out += bytes([1, 0])
    prev, step = 0, 0
    for r in rows:
        s = r[0] - prev
        out += zigzag_varint(s - step)
        prev, step = r[0], s
    for k in range(1, 6):
        if decimal is None:
            out += b"\x00" + struct.pack("<%dd" % n, *[r[k] for r in rows])
        else:
            out += bytes([1, decimal])
            prev = 0
            for r in rows:
                i = round(r[k] * 10 ** decimal)
                out += zigzag_varint(i - prev)
                prev = i
    return bytes(out + struct.pack("<Q", checksum(bytes(out))))


def series(n, start=1704153600000, step=86400000, price=100.0):
    rows, p = [], price
    for i in range(n):
        o = p
        c = p * (1.0 + 0.01 * ((i * 7919) % 11 - 5) / 5.0)
        rows.append((start + i * step, o, max(o, c) * 1.01, min(o, c) * 0.99, c, 1000.0 + i))
        p = c
    return rows


def codec_seeds():
    for n in (1, 2, 5, 30):
        write("codec_decode", encode(series(n)), "bars-%d" % n)
    write("codec_decode", encode(series(3, step=60000, price=0.0001)), "bars-minute")
    write("codec_decode", encode([]), "bars-0")
    write("codec_decode", encode(series(3), schema=0), "schema-0")
    write("codec_decode", encode(series(3), schema=1), "schema-1")
    cents = [(t, round(o, 2), round(h, 2), round(l, 2), round(c, 2), v) for (t, o, h, l, c, v) in series(30)]
    write("codec_decode", encode(cents, decimal=2), "bars-30-decimal")
    bad = series(3)
    bad[1] = (bad[1][0], 1.0, 0.5, 2.0, 1.0, -1.0)  # high below low, negative volume
    write("codec_decode", encode(bad), "invalid-bars")
    dup = series(3)
    dup[2] = (dup[1][0],) + dup[2][1:]
    write("codec_decode", encode(dup), "time-repeats")
    write("codec_decode", encode(series(2))[:-9], "truncated")


# --- Import: ZIP archives and CSV files ---------------------------------------

def zipped(members, method=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 2, 0, 0, 0))
            info.compress_type = method
            z.writestr(info, data)
    return buf.getvalue()


def import_seeds():
    files = [(p.name, p.read_bytes()) for p in sorted((FIX / "import").iterdir())]
    small = [(n, d) for n, d in files if n != "universe.csv"]
    write("zip_import", zipped(small), "fixtures-deflated.zip")
    write("zip_import", zipped(small, zipfile.ZIP_STORED), "fixtures-stored.zip")
    write(
        "zip_import",
        zipped(
            [
                ("prices/", b""),
                ("prices/AAPL.csv", files[0][1]),
                ("prices/aapl.csv", files[0][1]),
                ("__MACOSX/prices/._AAPL.csv", b"\0\x05\x16\x07"),
                (".hidden/x.csv", b"junk"),
                ("notes.pdf", b"%PDF-1.4"),
                ("inner.zip", zipped(small[:1])),
            ]
        ),
        "folders.zip",
    )
    for name, data in files:
        write("zip_import", data, "csv-" + name)
    # The target's own NUL-separated member form: name, content, name, content…
    write(
        "zip_import",
        b"\0".join(
            [b"AAPL.csv", files[0][1], b"dir/", b"", b"long.csv", dict(files)["long.csv"],
             b"x/msft.us.txt", dict(files)["msft.us.txt"], b"readme.md", b"hi"]
        ),
        "members",
    )


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    csv_seeds()
    lang_seeds()
    json_seeds()
    codec_seeds()
    import_seeds()
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    for d in sorted(OUT.iterdir()):
        print("%-16s %3d seeds" % (d.name, len(list(d.iterdir()))))
    print("total %d bytes" % total)


if __name__ == "__main__":
    main()
