import time, sys
from concurrent.futures import ThreadPoolExecutor
from common import median_ms
import keras, numpy as np
from tf_weightmagic.stats import summarize
model = keras.applications.ResNet50(weights=None)
arrays = [v.numpy().reshape(-1) for v in model.weights]
big = sorted([a for a in arrays if a.size >= 65536], key=lambda a: -a.size)
shares = [big[0::2], big[1::2]]
small = [a for a in arrays if a.size < 65536]
def par(busy):
    with ThreadPoolExecutor(2) as pool:
        jobs = [pool.submit(lambda s: [summarize(a) for a in s], sh) for sh in shares]
        if busy == "python":
            t = time.perf_counter()
            while time.perf_counter() - t < 0.013: pass
        elif busy == "small":
            [summarize(a) for a in small]
        for j in jobs: j.result()
for _ in range(2):
    for busy in ("idle", "python", "small"):
        print(busy, f"{median_ms(lambda: par(busy), repeats=7):.1f}")
    print("small alone", f"{median_ms(lambda: [summarize(a) for a in small]):.1f}", "big serial", f"{median_ms(lambda: [summarize(a) for a in big]):.1f}")
