"""The one thing pyproject.toml cannot say: the shipped folders go inside the package.

forms/, resources/ and docs/schemas/ stay at the top of the repository (the PyInstaller spec, the
tests and people read them there) and are mapped at build time into ``qadesk/_bundle/``, with the
same layout, so a wheel or ``pip install .`` carries them; ``qadesk.core.bundle.bundle_path`` finds
them in a checkout, in an installed package and in the PyInstaller app. The files taken from each
folder are listed under ``[tool.setuptools.package-data]`` in pyproject.toml; everything else about
the package is there too.
"""

from setuptools import find_packages, setup

BUNDLE = {
    "qadesk._bundle.forms": "forms",
    "qadesk._bundle.resources": "resources",
    "qadesk._bundle.docs": "docs",  # only docs/schemas/*.json (package-data), not the prose
}

setup(packages=[*find_packages(include=["qadesk", "qadesk.*"]), *BUNDLE], package_dir=BUNDLE)
