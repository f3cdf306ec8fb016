"""xai_bringup: launch files, parameter YAML and DDS profiles."""

from glob import glob

from setuptools import find_packages, setup

package_name = "xai_bringup"

setup(
    name=package_name,
    version="0.1.0",
    packages=find_packages(exclude=["test"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{package_name}"]),
        (f"share/{package_name}", ["package.xml"]),
        (f"share/{package_name}/launch", glob("launch/*.launch.py")),
        (f"share/{package_name}/config", glob("config/*.yaml") + glob("config/*.xml")),
        (f"share/{package_name}/config/sim", glob("config/sim/*.yaml")),
        (f"share/{package_name}/config/hsr", glob("config/hsr/*.yaml")),
    ],
    install_requires=["setuptools"],
    zip_safe=True,
    maintainer="XAI Robotics Team",
    maintainer_email="xai-robotics@toyota-hsr-lab.org",
    description="Launch files and configuration of the explainable HSR stack",
    license="Apache-2.0",
)
