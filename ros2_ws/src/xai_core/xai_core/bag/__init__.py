"""rosbag2 bags without ROS: write, read, inspect (pure Python on top of ``rosbags``).

* :mod:`.typestore` - the message types (ROS 2 Kilted + ``xai_interfaces``), CDR (de)serialize.
* :mod:`.writer` - :class:`BagWriter`: rosbag2 bag directories (MCAP or sqlite3), QoS metadata,
  splitting into sibling bags, periodic flushing so an interrupted recording stays readable.
* :mod:`.reader` - :class:`BagReader`: one or several bags / storage files in time order; corrupt
  or truncated parts are skipped and listed in ``problems``.
* :mod:`.info` - a ``ros2 bag info`` style summary.

The ROS side (recording from and playing to DDS) is ``xai_nodes.bag_recorder_node`` /
``bag_player_node`` and the ``xai-bag`` CLI.
"""

from xai_core.bag.info import bag_info, format_info
from xai_core.bag.reader import BagError, BagMessage, BagReader, TopicInfo, open_bag
from xai_core.bag.typestore import deserialize, serialize, typestore
from xai_core.bag.writer import BagWriter

__all__ = [
    "BagError",
    "BagMessage",
    "BagReader",
    "BagWriter",
    "TopicInfo",
    "bag_info",
    "deserialize",
    "format_info",
    "open_bag",
    "serialize",
    "typestore",
]
