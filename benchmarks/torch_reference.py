"""The same four models in PyTorch, as the speed reference for speed_benchmark.py.

    pip install torch==2.13.0      # not a requirement of the project
    python benchmarks/torch_reference.py 4_modern_net.py --epochs 3 --data-dir PATH

Same data, initialisation (N(0, 0.01^2)), batches (file order, last partial batch
dropped), optimisers and test evaluation as the Theano scripts; prints one line per
epoch in their format. Its OpenMP threads sleep when idle, as harness has Theano's
(OMP_WAIT_POLICY=PASSIVE, unless you set it): threads that spin while they wait take
the cores from everything else on a shared machine. Measured here under a load of 11-15
on 2 cores: the convnet's epoch of 2560 images took 30-36 s spinning, 5.8-5.9 s sleeping.
"""
import argparse
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read when torch loads its OpenMP
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import load  # noqa: E402
from common import bounds  # noqa: E402


def weights(*shape):
    return (torch.randn(*shape) * 0.01).requires_grad_()


def rmsprop(params):
    # eps sits outside the square root here, inside it in the talk: the same work per step
    return torch.optim.RMSprop(params, lr=0.001, alpha=0.9, eps=1e-6)


def model(script):
    """(forward(x, train), params, optimiser, input shape) of one script's model."""
    if script == "2_logistic_regression.py":
        w = weights(784, 10)
        return lambda x, train: x @ w, torch.optim.SGD([w], lr=0.05), (-1, 784)
    if script == "3_net.py":
        wh, wo = weights(784, 625), weights(625, 10)
        return lambda x, train: torch.sigmoid(x @ wh) @ wo, torch.optim.SGD([wh, wo], lr=0.05), (-1, 784)
    if script == "4_modern_net.py":
        wh, wh2, wo = weights(784, 625), weights(625, 625), weights(625, 10)

        def forward(x, train):
            h = F.relu(F.dropout(x, 0.2, train) @ wh)
            h2 = F.relu(F.dropout(h, 0.5, train) @ wh2)
            return F.dropout(h2, 0.5, train) @ wo
        return forward, rmsprop([wh, wh2, wo]), (-1, 784)
    w, w2, w3 = weights(32, 1, 3, 3), weights(64, 32, 3, 3), weights(128, 64, 3, 3)
    w4, wo = weights(128 * 3 * 3, 625), weights(625, 10)

    def forward(x, train):
        # padding=2 is Theano's 'full' convolution; ceil_mode keeps the partial border
        l1 = F.dropout(F.max_pool2d(F.relu(F.conv2d(x, w, padding=2)), 2, ceil_mode=True), 0.2, train)
        l2 = F.dropout(F.max_pool2d(F.relu(F.conv2d(l1, w2)), 2, ceil_mode=True), 0.2, train)
        l3 = F.dropout(F.max_pool2d(F.relu(F.conv2d(l2, w3)), 2, ceil_mode=True).flatten(1), 0.2, train)
        return F.dropout(F.relu(l3 @ w4), 0.5, train) @ wo
    return forward, rmsprop([w, w2, w3, w4, wo]), (-1, 1, 28, 28)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("script", choices=["2_logistic_regression.py", "3_net.py", "4_modern_net.py",
                                           "5_convolutional_net.py"], help="the script whose model to train")
    parser.add_argument("--epochs", type=bounds.whole(1), default=3,
                        help="passes over the training data (default: %(default)s)")
    parser.add_argument("--batch-size", type=bounds.whole(1), default=128,
                        help="examples per gradient step (default: %(default)s)")
    parser.add_argument("--threads", type=bounds.whole(1), default=os.cpu_count(),
                        help="PyTorch's threads (default: the cores, %(default)s)")
    parser.add_argument("--ntrain", type=bounds.whole(1), help="use the first N training images (default: all)")
    parser.add_argument("--ntest", type=bounds.whole(1), help="test on the first N test images (default: all)")
    parser.add_argument("--data-dir", help="folder with the MNIST files (default: as load.py finds them)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    trX, teX, trY, teY = load.mnist(args.ntrain, args.ntest, onehot=False, data_dir=args.data_dir)
    forward, optimiser, shape = model(args.script)
    trX, teX = torch.from_numpy(trX).reshape(shape), torch.from_numpy(teX).reshape(shape)
    trY, teY = torch.from_numpy(trY), torch.from_numpy(teY)
    size = args.batch_size
    batches = list(zip(range(0, len(trX), size), range(size, len(trX), size)))
    for epoch in range(1, args.epochs + 1):
        start = time.time()
        costs = []
        for begin, end in batches:
            optimiser.zero_grad()
            cost = F.cross_entropy(forward(trX[begin:end], True), trY[begin:end])
            cost.backward()
            optimiser.step()
            costs.append(cost.item())
        with torch.no_grad():
            accuracy = (forward(teX, False).argmax(1) == teY).float().mean().item()
        print(f"epoch {epoch:3d}  test accuracy {accuracy:.4f}  train cost {np.mean(costs):.4f}  "
              f"{time.time() - start:7.2f} s", flush=True)


if __name__ == "__main__":
    main()
