// Unity side of the ROS -> Unity frame conversion. The math lives (and is tested) in
// XaiBridge.Protocol.RosToUnity; this file only wraps it in Vector3 / Quaternion.
using UnityEngine;
using XaiBridge.Protocol;

namespace XaiBridge.Runtime
{
    /// <summary>
    /// ROS (REP-103: x forward, y left, z up, right-handed) to Unity (x right, y up, z forward,
    /// left-handed):
    /// <code>
    ///   position  (x, y, z)    -> (-y, z, x)          u = C p,  C = [[0,-1,0],[0,0,1],[1,0,0]]
    ///   rotation  (x, y, z, w) -> (-y, z, x, -w)      R_u = C R C^T
    /// </code>
    /// See <see cref="RosToUnity"/> for the derivation; the mono tests check that
    /// <c>C (R p) == R_u (C p)</c>.
    /// </summary>
    public static class RosUnity
    {
        public static Vector3 Position(double x, double y, double z)
        {
            double ux, uy, uz;
            RosToUnity.Position(x, y, z, out ux, out uy, out uz);
            return new Vector3((float)ux, (float)uy, (float)uz);
        }

        /// <summary>A ROS translation [x, y, z] (e.g. <see cref="Protocol.Pose.T"/>).</summary>
        public static Vector3 Position(double[] t)
        {
            return Position(t[0], t[1], t[2]);
        }

        /// <summary>A ROS quaternion [x, y, z, w] (e.g. <see cref="Protocol.Pose.Q"/>); normalised.</summary>
        public static Quaternion Rotation(double[] q)
        {
            double ux, uy, uz, uw;
            RosToUnity.Rotation(q[0], q[1], q[2], q[3], out ux, out uy, out uz, out uw);
            double norm = System.Math.Sqrt(ux * ux + uy * uy + uz * uz + uw * uw);
            if (norm < 1e-9) return Quaternion.identity;  // a zero quaternion means "unknown"
            return new Quaternion((float)(ux / norm), (float)(uy / norm), (float)(uz / norm), (float)(uw / norm));
        }

        /// <summary>A rotation of <paramref name="yawDegrees"/> about ROS +z (counter-clockwise seen from above).</summary>
        public static Quaternion Yaw(float yawDegrees)
        {
            double half = 0.5 * yawDegrees * System.Math.PI / 180.0;
            return Rotation(new[] { 0.0, 0.0, System.Math.Sin(half), System.Math.Cos(half) });
        }
    }
}
