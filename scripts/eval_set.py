#!/usr/bin/python3
"""Separate every piece of a set with notewise and score the stems (notewise eval = mir_eval).

Usage:
  /usr/bin/python3 scripts/eval_set.py SET_DIR [--score NAME] [--pieces P1,P2] [--keep DIR]
                                        [--json OUT.json] [-- notewise separate options ...]

A set is a folder of pieces; a piece is a folder with the mix (mix.wav, mix.flac, ...), one
reference stem per label (<label>.wav/.flac/...) and a score (--score NAME, default the first of
score.csv, score_aligned.csv, score.mid). Prints, per piece and source, SDR SIR SAR SI-SDR (dB;
BSS Eval v3 as mir_eval.separation.bss_eval_sources, whole signal, no permutation), then the
means per source, per half of the set if --halves is given, and over every stem.
Example (Bach10, tuning half):
  /usr/bin/python3 scripts/eval_set.py ../shared/data/bach10 --score score_aligned.csv --pieces 01,02,03,04,05
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

AUDIO = ('.wav', '.flac', '.ogg', '.mp3', '.aiff', '.aif', '.opus')
HERE = os.path.dirname(os.path.abspath(__file__))
NOTEWISE = os.path.join(HERE, '..', 'build', 'notewise')


def find_mix(piece):
    for e in AUDIO:
        p = os.path.join(piece, 'mix' + e)
        if os.path.isfile(p):
            return p
    return None


def find_score(piece, name):
    names = [name] if name else ['score.csv', 'score_aligned.csv', 'score.mid']
    for n in names:
        p = os.path.join(piece, n)
        if os.path.isfile(p):
            return p
    return None


def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else float('nan')


def main():
    argv = sys.argv[1:]
    extra = []
    if '--' in argv:
        i = argv.index('--')
        argv, extra = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('set_dir')
    ap.add_argument('--score', help='score file name inside each piece folder')
    ap.add_argument('--pieces', help='comma-separated prefixes of the piece folders to run (default: all)')
    ap.add_argument('--keep', help='keep the estimates in this folder')
    ap.add_argument('--json', help='write every figure to this JSON file')
    ap.add_argument('--notewise', default=NOTEWISE, help='the program (default: build/notewise)')
    a = ap.parse_args(argv)

    prefixes = a.pieces.split(',') if a.pieces else None
    pieces = []
    for d in sorted(os.listdir(a.set_dir)):
        p = os.path.join(a.set_dir, d)
        if not os.path.isdir(p) or (prefixes and not any(d.startswith(x) for x in prefixes)):
            continue
        if find_mix(p) and find_score(p, a.score):
            pieces.append((d, p))
    if not pieces:
        sys.exit('%s: no piece with a mix and a score' % a.set_dir)

    root = a.keep or tempfile.mkdtemp(prefix='notewise-eval-')
    results = {}
    seconds = {}
    for name, piece in pieces:
        out = os.path.join(root, name)
        t = time.monotonic()
        cmd = [a.notewise, '-q', '--force', 'separate', find_mix(piece), '--score', find_score(piece, a.score),
               '--out', out, '--no-report'] + extra
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit('%s: separate failed (%d): %s' % (name, r.returncode, r.stderr.strip()))
        seconds[name] = time.monotonic() - t
        stems = sorted(os.path.splitext(f)[0] for f in os.listdir(out) if f.endswith('.wav'))
        r = subprocess.run([a.notewise, 'eval', '--reference', piece, '--estimate', out, '--json',
                            '--stems', ','.join(stems)], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit('%s: eval failed (%d): %s' % (name, r.returncode, r.stderr.strip()))
        results[name] = json.loads(r.stdout)['stems']

    print('%-34s %-12s %7s %7s %7s %7s' % ('piece', 'source', 'SDR', 'SIR', 'SAR', 'SI-SDR'))
    for name, _ in pieces:
        for s, m in results[name].items():
            print('%-34s %-12s %7.2f %7.2f %7.2f %7.2f' % (name, s, m['SDR'], m['SIR'], m['SAR'], m['SI_SDR']))
    print()
    print('%-34s %7s %7s %7s %7s %8s' % ('piece (mean over its stems)', 'SDR', 'SIR', 'SAR', 'SI-SDR', 'time s'))
    for name, _ in pieces:
        ms = results[name].values()
        print('%-34s %7.2f %7.2f %7.2f %7.2f %8.2f' % (name, mean(m['SDR'] for m in ms), mean(m['SIR'] for m in ms),
                                                      mean(m['SAR'] for m in ms), mean(m['SI_SDR'] for m in ms),
                                                      seconds[name]))
    print()
    sources = sorted({s for r in results.values() for s in r})
    print('%-34s %7s %7s %7s %7s' % ('source (mean over pieces)', 'SDR', 'SIR', 'SAR', 'SI-SDR'))
    for s in sources:
        ms = [r[s] for r in results.values() if s in r]
        print('%-34s %7.2f %7.2f %7.2f %7.2f' % (s, mean(m['SDR'] for m in ms), mean(m['SIR'] for m in ms),
                                                mean(m['SAR'] for m in ms), mean(m['SI_SDR'] for m in ms)))
    every = [m for r in results.values() for m in r.values()]
    print()
    print('mean SDR %.2f dB, SI-SDR %.2f dB, SIR %.2f dB, SAR %.2f dB over %d stems of %d pieces' %
          (mean(m['SDR'] for m in every), mean(m['SI_SDR'] for m in every), mean(m['SIR'] for m in every),
           mean(m['SAR'] for m in every), len(every), len(pieces)))
    if a.json:
        with open(a.json, 'w') as f:
            json.dump({'pieces': results, 'seconds': seconds, 'options': extra}, f, indent=1)


if __name__ == '__main__':
    main()
