# A corpus for bench/batch_scaling.sh: the shipped Chopin example looped or cut to the given
# lengths in seconds, one piece each (pN.wav, pN.csv), and manifest.csv, in the current folder:
#   /usr/bin/python3 bench/batch_corpus.py 26 13 39 20 ...
import csv, os, sys, wave
import numpy as np

ex = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../examples/chopin_op64_1/")
w = wave.open(ex + "mix.wav")
rate, ch, width, n = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
x = np.frombuffer(w.readframes(n), dtype="<i2").reshape(-1, ch)
rows = list(csv.DictReader(open(ex + "score.csv")))
period = n / rate
with open("manifest.csv", "w") as m:
    m.write("audio,score\n")
    for k, seconds in enumerate(map(float, sys.argv[1:])):
        total = int(seconds * rate)
        y = np.tile(x, (int(np.ceil(total / n)), 1))[:total]
        out = wave.open(f"p{k}.wav", "wb")
        out.setnchannels(ch), out.setsampwidth(width), out.setframerate(rate)
        out.writeframes(y.astype("<i2").tobytes())
        out.close()
        with open(f"p{k}.csv", "w") as f:
            f.write("start,duration,pitch,velocity,label\n")
            for r in range(int(np.ceil(seconds / period))):
                for row in rows:
                    s = float(row["start"]) + r * period
                    if s < seconds:
                        d = min(float(row["duration"]), seconds - s)
                        f.write(f"{s:.6f},{d:.6f},{row['pitch']},{row['velocity']},{row['label']}\n")
        m.write(f"p{k}.wav,p{k}.csv\n")
