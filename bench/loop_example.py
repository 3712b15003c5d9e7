# Long inputs for the memory/time table of docs/PERFORMANCE.md: the Chopin example looped to
# N minutes at 44.1 kHz stereo, with its score: /usr/bin/python3 bench/loop_example.py 1 5 10
# writes mN.wav and mN.csv into the current folder.
import wave, numpy as np, csv, sys
import os
src=os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../shared/data/real/fmp_chopin_op28no4_smd/")
w=wave.open(src+'mix.wav'); n=w.getnframes(); x=np.frombuffer(w.readframes(n),dtype='<i2').astype(np.float32)
L=n/22050.0
# 44.1 kHz stereo: linear interpolation, the second channel delayed by 1 ms
t=np.arange(2*n)/2.0
a=np.interp(t,np.arange(n),x); b=np.interp(t-22.05,np.arange(n),x)
st=np.stack([a,b],1)
rows=list(csv.DictReader(open(src+'score.csv')))
for mins in map(float,sys.argv[1:]):
    total=int(mins*60*44100); reps=int(np.ceil(total/st.shape[0]))
    y=np.tile(st,(reps,1))[:total]
    out=wave.open(f'm{mins:g}.wav','wb'); out.setnchannels(2); out.setsampwidth(2); out.setframerate(44100)
    out.writeframes(np.clip(y,-32768,32767).astype('<i2').tobytes()); out.close()
    with open(f'm{mins:g}.csv','w') as f:
        f.write('start,duration,pitch,velocity,label\n')
        for r in range(reps):
            for row in rows:
                s=float(row['start'])+r*2*n/44100.0
                if s< mins*60: f.write(f"{s:.6f},{row['duration']},{row['pitch']},{row['velocity']},{row['label']}\n")
