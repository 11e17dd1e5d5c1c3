"""
Writes digits.npz: scikit-learn's 8 x 8 handwritten digits (sklearn.datasets.load_digits),
1797 images of 0-9 with pixel values 0..16, for the CNN tutorial (examples/cnn-digits.ts).

    images  uint8 [1797, 8, 8]   pixel values 0..16
    labels  int32 [1797]         the digit each image shows

in an order shuffled once here (numpy's RandomState(0)), so that the tutorial's split (the first
1437 to train, the last 360 to test) is a random one: in scikit-learn's order the last digits come
from writers the first ones do not, and such a split tests another thing.

The data are scikit-learn's copy of the test set of the UCI "Optical Recognition of Handwritten
Digits" data set (E. Alpaydin, C. Kaynak, 1998; https://archive.ics.uci.edu/dataset/80,
CC BY 4.0). scikit-learn itself is BSD-3-Clause. Run with a Python that has scikit-learn and numpy:

    python examples/data/digits.py

(images as uint8, as image data comes; jaxon's io.loadNpz reads it and the example converts on the device.)
"""
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

digits = load_digits()
order = np.random.RandomState(0).permutation(len(digits.target))
images = digits.images.astype(np.uint8)[order]
labels = digits.target.astype(np.int32)[order]
assert images.shape == (1797, 8, 8) and images.min() == 0 and images.max() == 16
np.savez_compressed(Path(__file__).with_name("digits.npz"), images=images, labels=labels)
print(images.shape, labels.shape, np.bincount(labels))
