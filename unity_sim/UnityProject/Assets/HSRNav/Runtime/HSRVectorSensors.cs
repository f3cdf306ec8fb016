using Unity.MLAgents.Sensors;
using UnityEngine;

namespace HSRNav.Runtime
{
    /// <summary>
    /// The two vector observations of the contract, as named sensors (HSRAgent fills them in
    /// CollectObservations):
    /// <list type="bullet">
    /// <item><c>goal</c>, 4 floats: [sub-goal distance m, sub-goal bearing rad (CCW from the heading),
    /// goal distance m, goal bearing rad];</item>
    /// <item><c>pose_waypoint</c>, 5 floats: [x, y, yaw, waypoint x, waypoint y] (ROS world pose; the
    /// current sketch waypoint in the robot frame, x forward / y left, zeros in goal mode).</item>
    /// </list>
    /// Python (xai_sim.unity.UnityNavEnv) finds every observation by its sensor name (CONTRACT.md):
    /// ML-Agents sorts an agent's sensors by name (SensorUtils.SortSensors) before they go on the
    /// wire, so the wire order is depth, goal, pose_waypoint, semantic, topdown. Behavior
    /// Parameters' own vector observation (Space Size) must stay 0: its sensor would be a sixth,
    /// unnamed observation.
    /// </summary>
    [DisallowMultipleComponent]
    [AddComponentMenu("HSRNav/HSR Vector Sensors")]
    public class HSRVectorSensors : SensorComponent
    {
        public const string GoalName = "goal";
        public const string PoseWaypointName = "pose_waypoint";
        public const int GoalSize = 4;
        public const int PoseWaypointSize = 5;

        private VectorSensor _goal;
        private VectorSensor _poseWaypoint;

        public VectorSensor Goal
        {
            get { return _goal; }
        }

        public VectorSensor PoseWaypoint
        {
            get { return _poseWaypoint; }
        }

        public override ISensor[] CreateSensors()
        {
            _goal = new VectorSensor(GoalSize, GoalName);
            _poseWaypoint = new VectorSensor(PoseWaypointSize, PoseWaypointName);
            return new ISensor[] { _goal, _poseWaypoint };
        }
    }
}
