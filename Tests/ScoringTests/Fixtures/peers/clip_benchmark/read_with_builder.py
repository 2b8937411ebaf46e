"""Reads a clip-benchmark export with clip_benchmark 1.6.2's own builder (builder.py, beside
this file) and prints the prompts its zero-shot classifier would encode, per class, as JSON.

The builder's heavy imports (torch, torchvision, the dataset modules) are stood in for:
no dataset is built and no model runs; what is exercised is how build_dataset reads
custom_template_file and custom_classname_file, and how the WebDataset layout reads its
text files. The prompts are made as clip_benchmark.metrics.zeroshot_classification does.

Usage: read_with_builder.py FOLDER DATASET
"""
import importlib.util
import json
import os
import sys
import types

folder, dataset = sys.argv[1:3]
here = os.path.dirname(os.path.abspath(__file__))


class StandIn:
    """A torchvision dataset that loads nothing (build_dataset only sets .classes/.templates)."""

    def __init__(self, *args, **kwargs):
        self.classes = None


torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch.utils")
torch_data = types.ModuleType("torch.utils.data")
torch_data.default_collate = lambda batch: batch
tv = types.ModuleType("torchvision")
tv_datasets = types.ModuleType("torchvision.datasets")
for name in ["CIFAR10", "CIFAR100", "DTD", "GTSRB", "MNIST", "PCAM", "STL10", "SUN397", "CocoCaptions",
             "Country211", "EuroSAT", "FGVCAircraft", "Flowers102", "Food101", "ImageFolder", "ImageNet",
             "OxfordIIITPet", "RenderedSST2", "StanfordCars"]:
    setattr(tv_datasets, name, StandIn)
tv.datasets = tv_datasets
sys.modules.update({"torch": torch, "torch.utils": torch_utils, "torch.utils.data": torch_data,
                    "torchvision": tv, "torchvision.datasets": tv_datasets})
package = types.ModuleType("clip_benchmark")
package.__path__ = []
datasets = types.ModuleType("clip_benchmark.datasets")
datasets.__path__ = [here]
sys.modules.update({"clip_benchmark": package, "clip_benchmark.datasets": datasets})
for sub in ["babel_imagenet", "caltech101", "flickr", "imagenetv2", "objectnet", "sugar_crepe", "voc2007", "winoground"]:
    module = types.ModuleType("clip_benchmark.datasets." + sub)
    sys.modules[module.__name__] = module
    setattr(datasets, sub, module)
spec = importlib.util.spec_from_file_location("clip_benchmark.datasets.builder", os.path.join(here, "builder.py"))
builder = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = builder
spec.loader.exec_module(builder)

# cifar10 is built by torchvision's CIFAR10 (stood in for); any other name is looked up the
# same way in the custom files, so it is built as cifar10 with the files' key renamed.
ds = builder.build_dataset(dataset, root=folder, download=False,
                           custom_template_file=os.path.join(folder, "templates.json"),
                           custom_classname_file=os.path.join(folder, "classnames.json"))


def prompts(classes, templates):
    # clip_benchmark.metrics.zeroshot_classification.zero_shot_classifier
    if type(templates) == dict:
        return [templates[c] for c in classes]
    return [[t.format(c=c) for t in templates] for c in classes]


def read_txt(name):
    # build_wds_dataset: [line.strip() for line in read_txt(fname).splitlines()]
    with open(os.path.join(folder, name)) as f:
        return [line.strip() for line in f.read().splitlines()]


wds_classes = read_txt("classnames.txt")
wds_templates = read_txt("zeroshot_classification_templates.txt")
print(json.dumps({"classes": ds.classes, "prompts": prompts(ds.classes, ds.templates),
                  "wds_classes": wds_classes, "wds_prompts": prompts(wds_classes, wds_templates)}))
