#!/usr/bin/python3
"""Live separation (notewise live) on a set of pieces: following accuracy, SDR, real-time factor.

Usage:
  /usr/bin/python3 bench/live_eval.py SET_DIR --score NAME --truth NAME [--pieces 01,02]
                                      [--json OUT.json] [--keep DIR] [-- notewise live options ...]

For each piece (a folder with mix.*, one reference stem per label, the score NAME and the
true onsets TRUTH, a score with the same rows in the same order) it runs
  notewise live MIX --score SCORE --out DIR [options]
(reading as fast as possible), then
  following: the onsets the follower gave each note when it was played (DIR/aligned.csv)
             against TRUTH's: the share within 50 and 100 ms, the mean and median error;
  separation: notewise eval (BSS Eval v3, mir_eval) of DIR's stems against the references;
  speed:     the CPU time the run reports over the audio's duration (real-time factor, one core).
Examples:
  /usr/bin/python3 bench/live_eval.py ../shared/data/bach10 --score score_unaligned.csv \
      --truth score_aligned.csv --pieces 01,02,03,04,05
  /usr/bin/python3 bench/live_eval.py ../shared/data/pieces --score score.csv --truth score.csv
"""
import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
NOTEWISE = os.path.join(HERE, '..', 'build', 'notewise')
AUDIO = ('.wav', '.flac')


def onsets(path):
    with open(path, newline='') as f:
        return [float(r['start']) for r in csv.DictReader(f)]


def main():
    argv = sys.argv[1:]
    extra = []
    if '--' in argv:
        i = argv.index('--')
        argv, extra = argv[:i], argv[i + 1:]
    p = argparse.ArgumentParser()
    p.add_argument('set')
    p.add_argument('--score', required=True)
    p.add_argument('--truth', required=True)
    p.add_argument('--pieces', default='')
    p.add_argument('--json')
    p.add_argument('--keep')
    p.add_argument('--notewise', default=NOTEWISE)
    p.add_argument('--no-sdr', action='store_true', help='following and speed only')
    a = p.parse_args(argv)
    names = sorted(d for d in os.listdir(a.set) if os.path.isdir(os.path.join(a.set, d)))
    if a.pieces:
        want = a.pieces.split(',')
        names = [n for n in names if any(n == w or n.startswith(w + '-') for w in want)]
    root = a.keep or tempfile.mkdtemp(prefix='notewise-live-')
    rows, errors, sdr_all, cpu_all, dur_all = {}, [], [], 0.0, 0.0
    for name in names:
        piece = os.path.join(a.set, name)
        mix = next(os.path.join(piece, 'mix' + e) for e in AUDIO if os.path.isfile(os.path.join(piece, 'mix' + e)))
        out = os.path.join(root, name)
        r = subprocess.run([a.notewise, '--force', 'live', mix, '--score', os.path.join(piece, a.score), '--out', out] + extra,
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit('%s: live failed (%d): %s' % (name, r.returncode, r.stderr.strip()))
        m = re.search(r'([0-9.]+) s of audio in ([0-9.]+) s of CPU time', r.stderr)
        seconds, cpu = float(m.group(1)), float(m.group(2))
        cpu_all += cpu
        dur_all += seconds
        est, truth = onsets(os.path.join(out, 'aligned.csv')), onsets(os.path.join(piece, a.truth))
        err = [abs(e - t) for e, t in zip(est, truth)]
        errors += err
        stems = sorted(os.path.splitext(f)[0] for f in os.listdir(out) if f.endswith('.wav') and '-' not in f)
        r = subprocess.run(['true'] if a.no_sdr else [a.notewise, 'eval', '--reference', piece, '--estimate', out, '--json', '--stems', ','.join(stems)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit('%s: eval failed (%d): %s' % (name, r.returncode, r.stderr.strip()))
        sdr = {'-': 0.0} if a.no_sdr else {s: v['SDR'] for s, v in json.loads(r.stdout)['stems'].items()}
        sdr_all += list(sdr.values())
        rows[name] = {'within_100ms': sum(e <= 0.1 for e in err) / len(err), 'within_50ms': sum(e <= 0.05 for e in err) / len(err),
                      'mean_error_s': statistics.mean(err), 'median_error_s': statistics.median(err),
                      'sdr': sdr, 'mean_sdr': statistics.mean(sdr.values()), 'rtf': cpu / seconds}
        print('%-30s  within 100 ms %5.1f %%  (50 ms %5.1f %%)  mean err %6.3f s  median %6.3f s  SDR %6.2f dB  RTF %.4f' %
              (name, 100 * rows[name]['within_100ms'], 100 * rows[name]['within_50ms'], rows[name]['mean_error_s'],
               rows[name]['median_error_s'], rows[name]['mean_sdr'], rows[name]['rtf']), flush=True)
    total = {'within_100ms': sum(e <= 0.1 for e in errors) / len(errors), 'within_50ms': sum(e <= 0.05 for e in errors) / len(errors),
             'mean_error_s': statistics.mean(errors), 'median_error_s': statistics.median(errors),
             'mean_sdr': statistics.mean(sdr_all), 'stems': len(sdr_all), 'rtf': cpu_all / dur_all, 'options': extra}
    print('ALL: onsets within 100 ms %.1f %% (50 ms %.1f %%) of %d; mean error %.3f s, median %.3f s; mean SDR %.2f dB over %d stems; '
          'real-time factor %.4f (CPU s / audio s)' % (100 * total['within_100ms'], 100 * total['within_50ms'], len(errors),
                                                       total['mean_error_s'], total['median_error_s'], total['mean_sdr'],
                                                       len(sdr_all), total['rtf']))
    if a.json:
        with open(a.json, 'w') as f:
            json.dump({'pieces': rows, 'all': total}, f, indent=1)


if __name__ == '__main__':
    main()
