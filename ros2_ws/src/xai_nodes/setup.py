"""xai_nodes: thin rclpy nodes; each converts messages <-> numpy and calls xai_core / xai_sim."""

from setuptools import find_packages, setup

package_name = "xai_nodes"

setup(
    name=package_name,
    version="0.1.0",
    packages=find_packages(exclude=["test"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{package_name}"]),
        (f"share/{package_name}", ["package.xml"]),
    ],
    install_requires=["setuptools"],
    zip_safe=True,
    maintainer="XAI Robotics Team",
    maintainer_email="xai-robotics@toyota-hsr-lab.org",
    description="rclpy nodes of the explainable HSR stack",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "sim_node = xai_nodes.sim_node:main",
            "scripted_driver_node = xai_nodes.scripted_driver_node:main",
            "demo_recorder_node = xai_nodes.demo_recorder_node:main",
            "segmentation_node = xai_nodes.segmentation_node:main",
            "policy_node = xai_nodes.policy_node:main",
            "attention_cloud_node = xai_nodes.attention_cloud_node:main",
            "hololens_bridge_node = xai_nodes.hololens_bridge_node:main",
            "bag_recorder_node = xai_nodes.bag_recorder_node:main",
            "bag_player_node = xai_nodes.bag_player_node:main",
            "xai-bag = xai_nodes.bag_cli:main",
            "safety_node = xai_nodes.safety_node:main",
            "lidar_odam_node = xai_nodes.lidar_odam_node:main",
            "sam_node = xai_nodes.sam_node:main",
            "kd_classifier_node = xai_nodes.kd_classifier_node:main",
        ],
    },
)
