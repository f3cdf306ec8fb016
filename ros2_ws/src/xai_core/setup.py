"""xai_core: pure-Python core of the explainable HSR stack (never imports rclpy).

Installed editable into the project venv by `make setup`; on a robot with a full ROS 2 install it
also builds as an ament_python package with colcon.
"""

from setuptools import find_packages, setup

package_name = "xai_core"

setup(
    name=package_name,
    version="0.1.0",
    packages=find_packages(exclude=["test"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{package_name}"]),
        (f"share/{package_name}", ["package.xml"]),
    ],
    install_requires=["numpy"],
    # The navigation models and training helpers (xai_core.nav.models/build/checkpoint/predictor,
    # xai_core.rl) need torch; codecs, actions and DDS helpers do not.
    extras_require={"nav": ["torch"]},
    entry_points={"console_scripts": ["xai-eval = xai_core.bag.eval_cli:main"]},
    zip_safe=True,
    maintainer="XAI Robotics Team",
    maintainer_email="xai-robotics@toyota-hsr-lab.org",
    description="Pure-Python core of the explainable HSR stack",
    license="Apache-2.0",
    python_requires=">=3.10",
)
