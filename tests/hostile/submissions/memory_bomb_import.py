"""Attack: exhaust memory while being imported (1 GiB blocks, untouched: fast, and over any limit)."""

import numpy as np

hoard = []
while True:
    hoard.append(np.empty(1 << 27))
