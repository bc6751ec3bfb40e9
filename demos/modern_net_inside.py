"""What a "modern" net is doing: one test digit through the modern net of
4_modern_net.py (784-625-625-10 rectifiers, dropout 0.2 on the input and 0.5 on the
hidden layers), once clean, as it predicts, and many times with the dropout noise it
is trained with. It prints the clean prediction, how often the noisy passes agree with
it, and the share of hidden units active; --figures draws the digit, the hidden
activity of both layers and the predicted probabilities.

    python 4_modern_net.py --epochs 20 --save-model /tmp/modern.npz
    python demos/modern_net_inside.py --load-model /tmp/modern.npz --epochs 0 --figures /tmp/inside

The net is 4_modern_net.py's own: the demo runs the script (its lines are printed too)
and looks at the graph it built. With --load-model the script starts from those weights
and trains --epochs more (0: none). Without it, the script first trains the modern net
for --epochs epochs (default 3, a quick start: the net is then a little less sure than
after 20 epochs).
"""
import _project  # noqa: F401  the project's folder on the import path
import harness  # before theano: sets this project's Theano defaults
import _scripts
from common.errors import SettingError
import numpy as np
import theano

SCRIPT = "4_modern_net.py"
args = harness.parse_args(__doc__, epochs=3, lr=0.001, seed=(1, "the starting weights and the dropout noise"),
                          dropout=True, batch_size=128, data=True, model=True, figures=True,
                          digit=(1, "which test image to look inside: 1 is the first"),
                          samples=(100, "noisy passes of the digit", 10_000))
given = {"--epochs": args.epochs, "--lr": args.lr, "--seed": args.seed, "--batch-size": args.batch_size,
         "--ntrain": args.ntrain, "--ntest": args.ntest, "--dataset": args.dataset, "--data-dir": args.data_dir,
         "--load-model": args.load_model, "--save-model": args.save_model}
if args.load_model:
    print(f"modern_net_inside.py: the modern net's weights from {args.load_model}; "
          f"{args.epochs} more epochs of training", flush=True)
else:
    print(f"modern_net_inside.py: no --load-model, so {SCRIPT} trains the modern net first: {args.epochs} epochs",
          flush=True)
net = _scripts.run(SCRIPT, *[str(part) for flag, value in given.items() if value is not None for part in (flag, value)],
                   quick=False, quiet=False)
teX, teY = net["teX"], net["teY"]
if args.digit > len(teX):
    raise SettingError(f"--digit {args.digit} asks for test image {args.digit}, but there are {len(teX)}; "
                       f"give a number from 1 to {len(teX)}.")

# the script's own layers: clean, as it predicts, and with the noise it trains with, drawn anew on
# each pass by its own dropout() and model(): 0.2 of the input, 0.5 of each hidden layer
X, params, dropout, model = net["X"], net["params"], net["dropout"], net["model"]
noisy_X = dropout(X, 0.2)
look_clean = theano.function(inputs=[X], outputs=[X, net["h"], net["h2"], net["py_x"]], allow_input_downcast=True)
look_noisy = theano.function(inputs=[X], outputs=[noisy_X, *model(noisy_X, *params, 0., 0.5)],
                             allow_input_downcast=True)

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
