"""k-nearest neighbours, the talk's baseline before any learning: "An idea: for each image,
find the most similar image and guess that as the label. KNearestNeighbors ~95% accuracy".

Similar means near: the squared Euclidean distance between the 784 pixels of two images.
With --k above 1 the k nearest training images vote; a tie between labels goes to the
label of the nearer neighbour."""
import _project  # noqa: F401  the project's folder on the import path
import harness  # before theano: sets this project's Theano defaults
import time

import numpy as np
import theano
from theano import tensor as T

import load
from common import talk
from common.errors import SettingError

args = harness.parse_args(__doc__, seed=(1, "the test digits and mistakes --figures draws"), data=True, figures=True,
                          k=(1, "how many of the most similar training images vote on the label"))
np.random.seed(args.seed)  # chooses the digits the figure shows

# loading data matrices: images as rows of 784 pixels, labels as digits 0-9
trX, teX, trY, teY = load.mnist(args.ntrain, args.ntest, onehot=False, data_dir=args.data_dir,
                                dataset=args.dataset)
print(f"knn.py: k {args.k}, seed {args.seed}; {len(trX)} training and {len(teX)} test images of {args.dataset}",
      flush=True)
if args.k > len(trX):
    raise SettingError(f"--k {args.k} asks for more neighbours than the {len(trX)} training images; "
                       f"give a smaller --k or a larger --ntrain.")

# nothing to learn: the training images themselves are the model
B = theano.shared(trX, name="training_images")
labels = theano.shared(trY, name="training_labels")

# a chunk of test images
A = T.fmatrix()

# squared distance from each test image a to each training image b:
# |a - b|^2 = |a|^2 - 2 a.b + |b|^2, so all of them at once take one matrix product
distances = (T.sqr(A).sum(axis=1).dimshuffle(0, 'x') - 2 * T.dot(A, B.T)
             + T.sqr(B).sum(axis=1).dimshuffle('x', 0))


# "for each image, find the most similar image": the smallest distance of each row, then
# the next smallest once that one is ruled out, and so on; of equal distances argmin
# takes the first training image
def nearest(distances, n):
    rows = T.arange(distances.shape[0])
    near, near_distances = [], []
    for _ in range(n):
        j = T.argmin(distances, axis=1)
        near.append(j)
        near_distances.append(distances[rows, j])
        distances = T.set_subtensor(distances[rows, j], np.inf)
    return T.stack(near, axis=1), T.stack(near_distances, axis=1)


# "and guess that as the label": each of the k nearest votes for its own; of the labels
# with the most votes argmax takes the first, that is the one of the nearest neighbour
near, _ = nearest(distances, args.k)
near_labels = labels[near]
votes = T.eq(near_labels.dimshuffle(0, 1, 'x'), near_labels.dimshuffle(0, 'x', 1)).sum(axis=2)
y_pred = near_labels[T.arange(A.shape[0]), T.argmax(votes, axis=1)]

# compiling to a python function
predict = theano.function(inputs=[A], outputs=y_pred)

# 500 test images at a time: their distances to 60000 training images are 120 MB of
# float32 (all 10000 at once would be 2.4 GB), and the search copies them a few times;
# with the 180 MB of training images a full run peaks near 0.85 GB (measured)
CHUNK = 500
start = time.time()
predictions = np.concatenate([predict(teX[i:i + CHUNK]) for i in range(0, len(teX), CHUNK)])
seconds = time.time() - start
accuracy = np.mean(predictions == teY)
summary = f"knn.py: test accuracy {accuracy:.4f} ({np.sum(predictions != teY)} of {len(teY)} wrong) in {seconds:.1f} s"
if args.dataset == "mnist":
    summary += f"; the slides report ~{talk.KNN_ACCURACY}"
print(summary)

# a few test digits beside their most similar training images, and some of the mistakes
if args.figures:
    import figures
    import _pictures as pictures
    shown = np.random.choice(len(teX), min(6, len(teX)), replace=False)
    wrong = np.flatnonzero(predictions != teY)
    wrong = np.random.choice(wrong, min(6, len(wrong)), replace=False)
    # the k that voted, and at least 5 of the nearest
    neighbours = theano.function(inputs=[A], outputs=nearest(distances, min(max(args.k, 5), len(trX))))
    drawn = {}
    for name, chosen, title in [("knn_neighbours.png", shown, "test digits"), ("knn_mistakes.png", wrong, "mistakes")]:
        if len(chosen):
            near_chosen, distances_chosen = neighbours(teX[chosen])
            drawn[name] = pictures.knn_neighbours(teX[chosen], teY[chosen], predictions[chosen], trX[near_chosen],
                                                 trY[near_chosen], distances_chosen, args.k, title)
    figures.write(args.figures, drawn)
