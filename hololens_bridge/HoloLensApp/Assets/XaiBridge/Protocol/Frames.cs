// Plain C# (no UnityEngine): the decoded messages of schema v1 (hololens_bridge/PROTOCOL.md).
using System.Collections.Generic;

namespace XaiBridge.Protocol
{
    /// <summary>What every decoded message carries (the header keys common to both kinds).</summary>
    public abstract class BridgeFrame
    {
        /// <summary>Frame 0: <c>cloud/&lt;name&gt;</c> or <c>decision</c>.</summary>
        public string Topic { get; internal set; }

        /// <summary>Header <c>kind</c>: <c>"cloud"</c> or <c>"decision"</c>.</summary>
        public abstract string Kind { get; }

        /// <summary>Per-topic sequence number from 0; a gap = frames the server dropped for this client.</summary>
        public long Seq { get; internal set; }

        /// <summary>ROS header stamp of the source message, ns since the Unix epoch.</summary>
        public long StampNs { get; internal set; }

        /// <summary>Server wall clock when the message was encoded, ns since the Unix epoch.</summary>
        public long SentNs { get; internal set; }

        /// <summary>ROS frame of the data (e.g. <c>head_rgbd_sensor_rgb_frame</c>).</summary>
        public string FrameId { get; internal set; }

        /// <summary>The header map as received, unknown keys included (clients ignore those).</summary>
        public IDictionary<string, object> Header { get; internal set; }
    }

    /// <summary>
    /// Pose of the cloud's <see cref="BridgeFrame.FrameId"/> in the robot's world frame
    /// <see cref="Frame"/> (e.g. <c>odom</c> or <c>map</c>), in ROS conventions (REP-103:
    /// right-handed, metres): a point p in FrameId is at <c>R(Q) * p + T</c> in Frame.
    /// </summary>
    public sealed class Pose
    {
        /// <summary>The world frame the pose is expressed in.</summary>
        public string Frame { get; internal set; }

        /// <summary>Translation [x, y, z] in metres.</summary>
        public double[] T { get; internal set; }

        /// <summary>Rotation quaternion [x, y, z, w] (ROS / tf2 order, w last).</summary>
        public double[] Q { get; internal set; }
    }

    /// <summary>A decoded <c>kind: "cloud"</c> message: points with one attention value each.</summary>
    public sealed class CloudFrame : BridgeFrame
    {
        public override string Kind { get { return "cloud"; } }

        /// <summary>Number of points n.</summary>
        public int Count { get; internal set; }

        /// <summary><c>"q16"</c> (quantised, 7 bytes/point) or <c>"f32"</c> (lossless, 16 bytes/point).</summary>
        public string Encoding { get; internal set; }

        /// <summary>
        /// 3n floats x0 y0 z0 x1 y1 z1 ... in metres, in <see cref="BridgeFrame.FrameId"/> (ROS
        /// conventions: an optical frame is x right, y down, z forward). q16 points are
        /// <c>(float)(q * scale + origin)</c> computed in double, exactly as the Python codec does.
        /// </summary>
        public float[] Positions { get; internal set; }

        /// <summary>n attention values, normally in [0, 1] (1 = most attended).</summary>
        public float[] Attention { get; internal set; }

        /// <summary>Suggested colormap id (<c>jet</c>, <c>turbo</c>, <c>viridis</c>, <c>gray</c>); may be one this client does not know.</summary>
        public string Colormap { get; internal set; }

        /// <summary>Pose of FrameId in the world frame, or <c>null</c> when the server does not know it.</summary>
        public Pose Pose { get; internal set; }

        /// <summary>Header <c>scale</c>: metres per position unit (f32: 1).</summary>
        public double Scale { get; internal set; }

        /// <summary>Header <c>origin</c>: metres added after scaling.</summary>
        public double[] Origin { get; internal set; }

        /// <summary>Header <c>attention_range</c> [lo, hi].</summary>
        public double[] AttentionRange { get; internal set; }

        /// <summary>Length of the payload frame in bytes.</summary>
        public int PayloadBytes { get; internal set; }
    }

    /// <summary>A decoded <c>kind: "decision"</c> message: the discrete action the policy executed.</summary>
    public sealed class DecisionFrame : BridgeFrame
    {
        public override string Kind { get { return "decision"; } }

        /// <summary>Policy / checkpoint name.</summary>
        public string Policy { get; internal set; }

        /// <summary>Discrete actions in index order (e.g. stop, forward, left, right).</summary>
        public string[] ActionNames { get; internal set; }

        /// <summary>One Q-value per action, or empty.</summary>
        public double[] QValues { get; internal set; }

        /// <summary>Index into <see cref="ActionNames"/> of the executed action.</summary>
        public int Chosen { get; internal set; }

        /// <summary>Name of the executed action.</summary>
        public string ChosenName { get { return ActionNames[Chosen]; } }
    }
}
