// Plain C# (no UnityEngine): the ROS (REP-103) <-> Unity axis conversion of this project.
//
// ROS world frame ("map", xai_sim's world frame): right-handed, x forward/east, y left/north, z up.
// Unity: left-handed, x right, y up, z forward. The same convention as the HoloLens app
// (hololens_bridge/HoloLensApp/Assets/XaiBridge/Protocol/RosToUnity.cs) and the Unity
// ROS-TCP-Connector:
//
//     unity = (-ros.y, ros.z, ros.x)        ros = (unity.z, -unity.x, unity.y)
//
// So ROS east (+x) is Unity +z, ROS north (+y) is Unity -x. A ROS yaw (CCW seen from above, from
// +x) is a Unity rotation about +y (clockwise seen from above, from +z) of minus the same angle:
//
//     unityYawDeg = -rosYaw * 180 / pi       rosYaw = wrap(-unityYawDeg * pi / 180)
//
// Check: ROS heading (cos t, sin t, 0) -> Unity (-sin t, 0, cos t) = Quaternion.Euler(0, -t, 0) * forward.
using System;

namespace HSRNav.Rules
{
    public static class RosFrames
    {
        /// <summary>ROS world point (m) -> Unity position (m).</summary>
        public static void ToUnity(double x, double y, double z, out double ux, out double uy, out double uz)
        {
            ux = -y;
            uy = z;
            uz = x;
        }

        /// <summary>Unity position (m) -> ROS world point (m).</summary>
        public static void FromUnity(double ux, double uy, double uz, out double x, out double y, out double z)
        {
            x = uz;
            y = -ux;
            z = uy;
        }

        /// <summary>ROS yaw (rad, CCW from +x) -> Unity euler y (degrees, clockwise from +z).</summary>
        public static double YawToUnityDegrees(double rosYaw)
        {
            return -rosYaw * (180.0 / Math.PI);
        }

        /// <summary>Unity euler y (degrees) -> ROS yaw (rad), wrapped to [-pi, pi).</summary>
        public static double YawFromUnityDegrees(double unityYawDeg)
        {
            return NavMath.WrapAngle(-unityYawDeg * (Math.PI / 180.0));
        }

        /// <summary>A ROS pose -> Unity ground position (x, z) and euler y (degrees).</summary>
        public static void PoseToUnity(Pose2 pose, out double ux, out double uz, out double yawDeg)
        {
            ux = -pose.Y;
            uz = pose.X;
            yawDeg = YawToUnityDegrees(pose.Yaw);
        }

        /// <summary>A Unity ground position (x, z) and euler y (degrees) -> ROS pose.</summary>
        public static Pose2 PoseFromUnity(double ux, double uz, double yawDeg)
        {
            return new Pose2(uz, -ux, YawFromUnityDegrees(yawDeg));
        }
    }
}
