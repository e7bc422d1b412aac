"""A small, real folder of pictures for lesson 04, made from Fashion-MNIST, so the image-folder
lesson runs anywhere offline: one sub-folder per class, PNG and JPEG files of varied sizes, the
layout ``image_dataset_from_directory`` reads (as the tutorial's ``flower_photos`` folder).

    write_image_folder("lessons_out/fashion_folder", per_class=200)

The folder is written under a temporary name and renamed when complete, so an interrupted run
never leaves half a dataset; an existing complete folder with the same settings is reused.
"""
import json
import os
import shutil

import numpy as np

# Five classes that look unlike each other (Fashion-MNIST label -> folder name)
CLASSES = {0: "t_shirt", 1: "trouser", 7: "sneaker", 8: "bag", 9: "ankle_boot"}
SIZES = (40, 96)           # each picture is resized to a random square side in this range (pixels)
SETTINGS_FILE = "settings.json"


def write_image_folder(folder, images, labels, per_class, seed=0):
    """Write ``per_class`` pictures of each class in :data:`CLASSES` from ``images`` (uint8
    (N, 28, 28)) and ``labels`` (N,) into ``folder/<class name>/``, as RGB PNG and JPEG files
    (alternately) upscaled to random sizes in :data:`SIZES`. Returns ``folder``."""
    from PIL import Image

    settings = {"per_class": per_class, "seed": seed, "classes": CLASSES, "sizes": SIZES}
    if _complete(folder, settings):
        return folder
    rng = np.random.default_rng(seed)
    temporary = f"{folder}.tmp-{os.getpid()}"
    shutil.rmtree(temporary, ignore_errors=True)
    for label, name in CLASSES.items():
        os.makedirs(os.path.join(temporary, name))
        chosen = rng.choice(np.flatnonzero(labels == label), size=per_class, replace=False)
        for i, index in enumerate(chosen):
            side = int(rng.integers(SIZES[0], SIZES[1] + 1))
            picture = Image.fromarray(images[index]).convert("RGB").resize((side, side), Image.BILINEAR)
            extension = "png" if i % 2 == 0 else "jpg"
            picture.save(os.path.join(temporary, name, f"{name}_{i:04d}.{extension}"))
    with open(os.path.join(temporary, SETTINGS_FILE), "w") as stream:
        json.dump(settings, stream)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(temporary, folder)
    return folder


def _complete(folder, settings):
    """True when ``folder`` was written to the end with the same ``settings``."""
    try:
        with open(os.path.join(folder, SETTINGS_FILE)) as stream:
            return json.load(stream) == json.loads(json.dumps(settings))
    except (OSError, ValueError):
        return False
