"""What a "modern" net is doing: one test digit through the modern net of
4_modern_net.py (784-625-625-10 rectifiers, dropout 0.2 on the input and 0.5 on the
hidden layers), once clean, as it predicts, and many times with the dropout noise it
is trained with. It prints the clean prediction, how often the noisy passes agree with
it, and the share of hidden units active; --figures draws the digit, the hidden
activity of both layers and the predicted probabilities.

    python 4_modern_net.py --epochs 20 --save-model /tmp/modern.npz
    python demos/modern_net_inside.py --load-model /tmp/modern.npz --epochs 0 --figures /tmp/inside

With --load-model it starts from those weights and trains --epochs more (0: none).
Without it, it first trains the modern net itself for --epochs epochs (default 3,
a quick start: the net is then a little less sure than after 20 epochs).
"""
import _project  # noqa: F401  the project's folder on the import path
import harness  # before theano: sets this project's Theano defaults
import load
from common.errors import SettingError
import numpy as np
import theano
from theano import tensor as T
from theano.sandbox.rng_mrg import MRG_RandomStreams as RandomStreams

args = harness.parse_args(__doc__, epochs=3, lr=0.001, seed=(1, "the starting weights and the dropout noise"),
                          dropout=True, batch_size=128, data=True, model=True, figures=True,
                          digit=(1, "which test image to look inside: 1 is the first"),
                          samples=(100, "noisy passes of the digit", 10_000))
np.random.seed(args.seed)
srng = RandomStreams(seed=args.seed)


def floatX(X):
    return np.asarray(X, dtype=theano.config.floatX)


def init_weights(shape):
    return theano.shared(floatX(np.random.randn(*shape) * 0.01))


def rectify(X):
    return T.maximum(X, 0.)


def softmax(X):
    e_x = T.exp(X - X.max(axis=1).dimshuffle(0, 'x'))
    return e_x / e_x.sum(axis=1).dimshuffle(0, 'x')


def RMSprop(cost, params, lr=0.001, rho=0.9, epsilon=1e-6):
    grads = T.grad(cost=cost, wrt=params)
    updates = []
    for p, g in zip(params, grads):
        acc = theano.shared(p.get_value() * 0.)
        acc_new = rho * acc + (1 - rho) * g ** 2
        gradient_scaling = T.sqrt(acc_new + epsilon)
        g = g / gradient_scaling
        updates.append((acc, acc_new))
        updates.append((p, p - lr * g))
    return updates


def dropout(X, p=0.):
    if p > 0:
        retain_prob = 1 - p
        X *= srng.binomial(X.shape, p=retain_prob, dtype=theano.config.floatX)
        X /= retain_prob
    return X


# 4_modern_net.py's model, returning what each layer takes in
def model(X, w_h, w_h2, w_o, p_drop_input, p_drop_hidden):
    # noise injected into model: on every layer's input
    X = dropout(X, p_drop_input)
    h = rectify(T.dot(X, w_h))
    h = dropout(h, p_drop_hidden)
    h2 = rectify(T.dot(h, w_h2))
    h2 = dropout(h2, p_drop_hidden)
    py_x = softmax(T.dot(h2, w_o))
    return X, h, h2, py_x


trX, teX, trY, teY = load.mnist(args.ntrain, args.ntest, onehot=True, data_dir=args.data_dir, dataset=args.dataset)
if args.digit > len(teX):
    raise SettingError(f"--digit {args.digit} asks for test image {args.digit}, but there are {len(teX)}; "
                       f"give a number from 1 to {len(teX)}.")

X = T.fmatrix()
Y = T.fmatrix()
w_h = init_weights((784, 625))
w_h2 = init_weights((625, 625))
w_o = init_weights((625, 10))
params = [w_h, w_h2, w_o]

# noise for training (and for looking at what it does), a clean model for prediction
noisy = model(X, w_h, w_h2, w_o, 0.2, 0.5)
clean = model(X, w_h, w_h2, w_o, 0., 0.)
cost = T.mean(T.nnet.categorical_crossentropy(noisy[-1], Y))
updates = RMSprop(cost, params, lr=args.lr)
train = theano.function(inputs=[X, Y], outputs=cost, updates=updates, allow_input_downcast=True)
look_clean = theano.function(inputs=[X], outputs=clean, allow_input_downcast=True)
look_noisy = theano.function(inputs=[X], outputs=noisy, allow_input_downcast=True)

if args.load_model:
    harness.load_params(args.load_model, params)
    print(f"modern_net_inside.py: the modern net's weights from {args.load_model}; "
          f"{args.epochs} more epochs of training", flush=True)
else:
    print(f"modern_net_inside.py: no --load-model, so the modern net is trained first: {args.epochs} epochs "
          f"on {len(trX)} images of {args.dataset}", flush=True)
batches = list(zip(range(0, len(trX), args.batch_size), range(args.batch_size, len(trX), args.batch_size)))
for epoch in range(args.epochs):
    costs = [train(trX[start:end], trY[start:end]) for start, end in batches]
    print(f"epoch {epoch + 1:3d}  train cost {np.mean(costs):.4f}", flush=True)
if args.save_model:
    harness.save_params(args.save_model, params)
    print(f"saved the weights to {args.save_model}")

# the whole test set: how good the net is clean and with noise, and how many hidden units a digit uses
_, test_h, test_h2, test_py = look_clean(teX)
test_guess = np.argmax(test_py, axis=1)
noisy_guess = np.argmax(look_noisy(teX)[-1], axis=1)
print(f"test accuracy {np.mean(test_guess == np.argmax(teY, axis=1)):.4f} clean, "
      f"{np.mean(noisy_guess == np.argmax(teY, axis=1)):.4f} with noise; a noisy pass agrees with the clean "
      f"prediction on {np.mean(noisy_guess == test_guess):.1%} of the test images")
print(f"a test digit makes {np.mean(test_h > 0):.0%} of the first layer's 625 units and "
      f"{np.mean(test_h2 > 0):.0%} of the second's active; the net is least sure of test images "
      f"{', '.join(str(i + 1) for i in np.argsort(test_py.max(axis=1))[:5])} (see them with --digit)")

# one digit, once clean and many times with the noise it was trained with
digit = teX[args.digit - 1:args.digit]
label = int(np.argmax(teY[args.digit - 1]))
clean_x, clean_h, clean_h2, clean_py = look_clean(digit)
noisy_x, noisy_h, noisy_h2, noisy_py = look_noisy(np.repeat(digit, args.samples, axis=0))
guess = int(np.argmax(clean_py))
agree = np.mean(np.argmax(noisy_py, axis=1) == guess)
print(f"test image {args.digit} is labelled {label}. Clean, the net says {guess} with probability "
      f"{clean_py[0, guess]:.3f}; {args.samples} noisy passes say {guess} {agree:.0%} of the time, with probability "
      f"{np.mean(noisy_py[:, guess]):.3f} on average (from {noisy_py[:, guess].min():.3f} to "
      f"{noisy_py[:, guess].max():.3f})")
print(f"active units for this digit: first layer {np.mean(clean_h > 0):.0%} clean, "
      f"{np.mean(noisy_h > 0):.0%} in the noisy passes (after dropout); second layer "
      f"{np.mean(clean_h2 > 0):.0%} clean, {np.mean(noisy_h2 > 0):.0%} noisy")

if args.figures:
    import figures
    import _pictures as pictures
    figures.write(args.figures, {"modern_net_inside.png": pictures.modern_net_inside(
        label, [clean_x, clean_h, clean_h2], [noisy_x, noisy_h, noisy_h2], clean_py[0], noisy_py)})
