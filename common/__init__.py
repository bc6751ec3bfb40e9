"""What every layer of the project uses, cheap to import (no Theano, no NumPy): the talk's
facts (talk), the datasets (datasets), the stops a run handles (stops), the epoch line
(epoch_line), the errors a learner can fix (errors), whether a program runs in a notebook
(jupyter_kernel), the command of the learner's route (route), and the bounds of the numbers
the programs' flags take (bounds). Kept out of harness/, whose import sets up Theano."""
