"""mmwsss: an OpenMMLab plugin for weakly-supervised semantic and instance segmentation."""
import os.path as osp
import re

from setuptools import find_packages, setup


def readme():
    with open('README.md', encoding='utf-8') as f:
        return f.read()


def get_version():
    with open(osp.join('mmwsss', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'))
    return locals()['__version__']


def parse_requirements(fname='requirements.txt', with_version=True):
    """Parse a requirements file (follows ``-r`` includes), dropping comments.

    Args:
        fname: Path to the requirements file.
        with_version: Keep version specifiers.

    Returns:
        list[str]: Requirement strings.
    """
    def parse_line(line):
        if line.startswith('-r '):
            yield from parse_file(osp.join(osp.dirname(fname), line.split(' ', 1)[1]))
            return
        if not with_version:
            line = re.split(r'[<>=!~;\[ ]', line, maxsplit=1)[0]
        yield line

    def parse_file(path):
        with open(path) as f:
            for raw in f:
                line = raw.split('#', 1)[0].strip()
                if line:
                    yield from parse_line(line)

    return list(parse_file(fname)) if osp.exists(fname) else []


if __name__ == '__main__':
    setup(
        name='mmwsss',
        version=get_version(),
        description='Weakly-supervised semantic and instance segmentation for OpenMMLab',
        long_description=readme(),
        long_description_content_type='text/markdown',
        keywords='weakly-supervised segmentation, mmsegmentation, mmdetection',
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'benchmarks')),
        include_package_data=True,
        python_requires='>=3.10',
        license='Apache License 2.0',
        install_requires=parse_requirements('requirements/runtime.txt'),
        extras_require={
            'all': parse_requirements('requirements.txt'),
            'tests': parse_requirements('requirements/tests.txt'),
            'build': parse_requirements('requirements/build.txt'),
            'optional': parse_requirements('requirements/optional.txt'),
            'mim': parse_requirements('requirements/mminstall.txt'),
        },
        zip_safe=False)
