"""What a training run says to the learner, word for word: its settings, how it learned, how it
ended and what to do about it. harness/training.py decides which to say and when; each function
here only words what it is given."""
import math

from common.stops import NAMES as STOPS

CHANCE = 0.10  # the test accuracy of guessing among ten classes
GUESSING_COST = math.log(10)  # the cross-entropy of guessing among ten classes: 2.30
SMALLER_LR = "Try one ten or a hundred times smaller (--help shows the script's own)."


def unknown_model(model, models):
    return (f"harness.Run(..., model={model!r}): the model's name chooses the pictures --figures draws of its first "
            f"layer, and it is none of those the harness knows ({', '.join(map(repr, models))}, in common/talk.py). "
            f"Name the one your model is most like, or add yours there.")


def settings(script, args, kept, held_out, tested):
    held = f" (and {held_out} held out for validation)" if held_out else ""
    return (f"{script}: {args.epochs} epochs, batch {args.batch_size}, lr {args.lr}, seed {args.seed}; "
            f"{kept} training{held} and {tested} test images of {args.dataset}")


def too_many_held_out(validation, kept, images, batch_size):
    return (f"--validation {validation} leaves {max(kept, 0)} of the {images} training images, not more than one "
            f"batch ({batch_size}): the training loop takes only batches that end before the last image. Hold out "
            f"fewer, e.g. --validation {images // 6}, or give a smaller --batch-size.")


def batch_too_large(batch_size, images, dataset):
    return (f"{batch_size} is not less than the {images} training images of {dataset}: the training loop takes "
            f"only batches that end before the last image. Give --batch-size {images - 1} or less (the talk's is "
            f"128).")


def stopped_before_training(signum):
    return f"\nStopped by {STOPS[signum]} before training began; nothing was learned or saved.\n"


def stopped(signum, epoch):
    during = f"epoch {epoch}" if epoch else "the evaluation"
    return f"\nStopped by {STOPS[signum]} during {during}; keeping what was learned so far."


def not_finite(cost):
    """Why an epoch diverged: its training cost, or else its weights, are not finite numbers."""
    return (f"its training cost is {cost}" if not math.isfinite(cost) else
            f"its weights hold infinite values or NaN (training cost {cost:.4g})")


def overshooting(script, epoch, cost, lr):
    return (f"{script}: the training cost of epoch {epoch} ({cost:.4g}) is more than 100 times what guessing costs "
            f"({GUESSING_COST:.2f}): the steps overshoot, so the learning rate ({lr}) is probably too large. "
            + SMALLER_LR)


def evaluated(script, accuracy):
    return f"{script}: evaluation only: test accuracy {accuracy:.4f}"


def summary(script, seconds, accuracies, chosen, validation, slides):
    """The run's last line: `chosen` is the epoch (from 0) the validation accuracies pick, or
    else the best on the test set; `slides` the slides' accuracy where the data is theirs."""
    if not accuracies:
        return f"{script}: no epoch finished ({seconds:.0f} s)"
    said = f"{script}: {len(accuracies)} epochs in {seconds:.0f} s: test accuracy {accuracies[-1]:.4f} at the end"
    if validation:
        said += (f", {accuracies[chosen]:.4f} at epoch {chosen + 1} "
                 f"(chosen by validation accuracy, {validation[chosen]:.4f})")
    else:  # chosen by looking at the test set itself, so it flatters
        said += f" ({accuracies[chosen]:.4f} at epoch {chosen + 1}, the best on the test set: optimistic)"
    if slides is not None:
        said += f"; the slides report {slides:.3f} after 100 epochs of all 60000 images"
    return said


def at_chance_overshooting(script, accuracy, cost, lr):
    return (f"{script}: {accuracy:.4f} is within 0.02 of chance ({CHANCE:.2f}), and the training cost ({cost:.4g}) "
            f"is far above what guessing costs ({GUESSING_COST:.2f}): the steps overshoot, so the learning rate "
            f"(--lr {lr:g}) is probably too large. " + SMALLER_LR)


def at_chance_starting(script, accuracy):
    return (f"{script}: {accuracy:.4f} is within 0.02 of chance ({CHANCE:.2f}): the model has not started to learn "
            "yet (a convnet needs a few hundred steps). Try more images (--ntrain), more epochs (--epochs) or a "
            "smaller --batch-size.")


def diverged(epoch, what, lr, own_lr, kept_epoch, save_model, drawn):
    """A cost (or weights) gone to infinity or NaN in `epoch`; `kept_epoch` is the last finite one, or None."""
    if kept_epoch:
        kept = (f"The weights of epoch {kept_epoch}, the last whose cost was finite, are kept"
                + (f" in {save_model}" if save_model else "") + (" and drawn" if drawn else ""))
    else:
        kept = "No epoch ended with a finite cost, so nothing is kept" + (
            f": {save_model} is not written" if save_model else "")
    return (f"Training diverged in epoch {epoch}: {what}, so the run stops here. The learning rate, {lr}, is "
            f"probably too large: each step overshoots and the weights grow without bound. Try the script's own, "
            f"--lr {own_lr:g}, or ten times smaller steps from yours until the training cost falls from epoch to "
            f"epoch. {kept}.")


def out_of_memory(said, asked, limit, doing, epoch, batch_size, smaller_batch, test_images, validation,
                  save_model, saved):
    """Memory run out while `doing` (training, evaluating) `epoch` (0: the loaded weights);
    `limit` is the process's limit in bytes, or None."""
    if limit is None:
        where, more = "the memory this machine has free", "close other programs"
    else:
        where, more = (f"the {limit / 2**30:.1f} GiB this process may use (ulimit -v)",
                       "close other programs or raise that limit")
    if doing == "training":
        what = (f"training epoch {epoch}", f"take fewer images per step: {batch_size} is a batch's size, try "
                                           f"--batch-size {smaller_batch}")
    else:
        images = f"{test_images} test images" + (f" and {validation} validation images" if validation else "")
        what = (f"evaluating {'the loaded weights' if not epoch else f'epoch {epoch}'} on {images}",
                f"evaluate fewer images: the talk's evaluation predicts them all at once, so give e.g. "
                f"--ntest {max(test_images // 5, 1)}" + (" or a smaller --validation" if validation else ""))
    if not save_model:
        kept = "Without --save-model the weights are not kept."
    elif saved:
        kept = f"What was learned until then is saved in {save_model}."
    else:
        kept = "What was learned until then is in the file named above."
    return (f"Out of memory while {what[0]}: {said}{asked}, more than is left of {where}. "
            f"To fit, {what[1]}; or {more}. {kept}")


def saved(path):
    return f"saved the weights to {path}"


def saved_elsewhere(path, reason, elsewhere):
    return (f"error: could not write --save-model {path} ({reason}); the weights are in {elsewhere} instead "
            "(--load-model reads it).")
