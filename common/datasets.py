"""The datasets the training scripts take (--dataset), and how the pictures and messages name
each, its classes and what one image shows: read by load.py, harness/flags.py and figures.py."""
TITLE = {"mnist": "MNIST", "fashion": "Fashion-MNIST"}
# what the labels 0-9 stand for, and what one image shows
CLASSES = {"mnist": [str(digit) for digit in range(10)],
           "fashion": ["T-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
                       "ankle boot"]}
SUBJECT = {"mnist": "digit", "fashion": "image"}
CLASS_WORD = {"mnist": "digit", "fashion": "class"}  # what one of the ten labels is
