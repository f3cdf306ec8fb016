// Plain C# (no UnityEngine): the frame conversion ROS (REP-103) -> Unity, tested under mono.
namespace XaiBridge.Protocol
{
    /// <summary>
    /// ROS and Unity axes.
    /// <para>
    /// ROS body / world frames (REP-103): right-handed, x forward, y left, z up.
    /// ROS optical frames (<c>*_optical_frame</c>, REP-103 suffix convention): right-handed,
    /// x right, y down, z forward (into the image).
    /// Unity: left-handed, x right, y up, z forward.
    /// </para>
    /// <para>
    /// A point p (metres) in a ROS body/world frame becomes, in Unity axes, <c>u = C p</c> with
    /// <code>
    ///         | 0 -1  0 |      u.x = -p.y   (ROS left    -> Unity -right)
    ///     C = | 0  0  1 |      u.y =  p.z   (ROS up      -> Unity up)
    ///         | 1  0  0 |      u.z =  p.x   (ROS forward -> Unity forward)
    /// </code>
    /// det C = -1: C swaps handedness, so a rotation R becomes <c>C R C^T</c> (a proper rotation);
    /// as a quaternion (x, y, z, w) -> (-y, z, x, -w) (see <see cref="Rotation"/>).
    /// </para>
    /// <para>
    /// Points of an optical frame need no special case when the header carries a pose: the pose's
    /// rotation already maps optical axes into the world frame, so apply C to the points as they
    /// are and convert the pose with <see cref="Position"/> / <see cref="Rotation"/>
    /// (<c>C (R p + t) = (C R C^T)(C p) + C t</c>). Only without a pose does a renderer need
    /// <see cref="OpticalToBody"/> to say how the camera is mounted.
    /// </para>
    /// </summary>
    public static class RosToUnity
    {
        /// <summary>
        /// Rotation (x, y, z, w) of an optical frame relative to its body-convention parent
        /// (roll -pi/2, yaw -pi/2): optical z (forward) -> body x, optical x (right) -> body -y,
        /// optical y (down) -> body -z.
        /// </summary>
        public static readonly double[] OpticalToBody = { -0.5, 0.5, -0.5, 0.5 };

        /// <summary>ROS position -> Unity position: <c>(-y, z, x)</c>.</summary>
        public static void Position(double x, double y, double z, out double ux, out double uy, out double uz)
        {
            ux = -y;
            uy = z;
            uz = x;
        }

        /// <summary>
        /// ROS rotation quaternion (x, y, z, w) -> Unity quaternion representing <c>C R C^T</c>.
        /// A rotation axis is a pseudo-vector, so it maps to <c>det(C) C axis = -C axis</c> while the
        /// angle stays: (x, y, z, w) -> (y, -z, -x, w), written here as the equal quaternion
        /// (-y, z, x, -w) (q and -q are the same rotation), as ROS# and the Unity ROS-TCP-Connector do.
        /// </summary>
        public static void Rotation(double x, double y, double z, double w,
                                    out double ux, out double uy, out double uz, out double uw)
        {
            ux = -y;
            uy = z;
            uz = x;
            uw = -w;
        }

        /// <summary>
        /// Converts a packed ROS point array (x0 y0 z0 x1 ...) to Unity axes into
        /// <paramref name="unity"/> (may be the same array): the vertex positions of the renderer.
        /// </summary>
        public static void Points(float[] ros, int count, float[] unity)
        {
            for (int i = 0; i < count; i++)
            {
                float x = ros[3 * i], y = ros[3 * i + 1], z = ros[3 * i + 2];
                unity[3 * i] = -y;
                unity[3 * i + 1] = z;
                unity[3 * i + 2] = x;
            }
        }

        /// <summary>
        /// Rotates vector v by unit quaternion q = (x, y, z, w) with the standard formula
        /// <c>v + 2w (q_v x v) + 2 q_v x (q_v x v)</c>; Unity's <c>Quaternion * Vector3</c> is the same
        /// algebra, which is what lets the tests check <see cref="Rotation"/> here.
        /// </summary>
        public static double[] Rotate(double[] q, double[] v)
        {
            double qx = q[0], qy = q[1], qz = q[2], qw = q[3];
            // t = 2 (q_v x v)
            double tx = 2 * (qy * v[2] - qz * v[1]);
            double ty = 2 * (qz * v[0] - qx * v[2]);
            double tz = 2 * (qx * v[1] - qy * v[0]);
            return new[]
            {
                v[0] + qw * tx + (qy * tz - qz * ty),
                v[1] + qw * ty + (qz * tx - qx * tz),
                v[2] + qw * tz + (qx * ty - qy * tx),
            };
        }
    }
}
