// Plain C# (no UnityEngine): the episode and reward configuration of xai_sim
// (unity_sim/xai_sim/xai_sim/config.py), same names (PascalCase), same units, same defaults.
// Tests/NavRulesTests.cs checks the defaults against the "defaults" block the Python side writes
// into parity_vectors.json, so a change of a default in config.py fails the C# test.
using System;
using System.Globalization;

namespace HSRNav.Rules
{
    /// <summary>
    /// Goal-mode reward terms (mirrors <c>xai_sim.config.RewardConfig</c>). The sketch-mode reward is
    /// fixed: minus the distance to the waypoint of the step.
    /// </summary>
    [Serializable]
    public sealed class RewardConfig
    {
        /// <summary>Multiplies (previous - new) distance to the current sub-goal, per metre.</summary>
        public double ProgressScale = 1.0;

        /// <summary>Added once per reached sub-goal.</summary>
        public double SubgoalBonus = 0.5;

        /// <summary>Added when the final goal is reached.</summary>
        public double GoalBonus = 10.0;

        /// <summary>Added (it is negative) when a forward move is blocked.</summary>
        public double CollisionPenalty = -1.0;

        /// <summary>Added (negative) every step.</summary>
        public double StepPenalty = -0.01;

        /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid value (as config.py).</summary>
        public void Validate()
        {
            Finite("reward.progress_scale", ProgressScale);
            Finite("reward.subgoal_bonus", SubgoalBonus);
            Finite("reward.goal_bonus", GoalBonus);
            Finite("reward.collision_penalty", CollisionPenalty);
            Finite("reward.step_penalty", StepPenalty);
            if (CollisionPenalty > 0)
                throw new ArgumentException(Format("reward.collision_penalty must be <= 0, got {0}", CollisionPenalty));
            if (StepPenalty > 0)
                throw new ArgumentException(Format("reward.step_penalty must be <= 0, got {0}", StepPenalty));
        }

        internal static void Finite(string key, double value)
        {
            if (double.IsNaN(value) || double.IsInfinity(value))
                throw new ArgumentException(Format("{0} must be a finite number, got {1}", key, value));
        }

        internal static string Format(string format, params object[] args)
        {
            return string.Format(CultureInfo.InvariantCulture, format, args);
        }
    }

    /// <summary>
    /// Episode structure, success criterion and task sampling (mirrors <c>xai_sim.config.EpisodeConfig</c>).
    /// Lengths in metres, times in environment steps.
    /// </summary>
    [Serializable]
    public sealed class EpisodeConfig
    {
        /// <summary>Truncation horizon of goal mode (sketch mode uses the sketch length, 100).</summary>
        public int MaxSteps = 100;

        /// <summary>Arc-length spacing of sub-goals along the planned path.</summary>
        public double SubgoalSpacingM = 1.0;

        /// <summary>A sub-goal counts as reached within this distance.</summary>
        public double SubgoalRadiusM = 0.35;

        /// <summary>The final goal counts as reached within this distance.</summary>
        public double GoalRadiusM = 0.3;

        /// <summary>Success requires <c>collisions &lt;= MaxCollisions</c>.</summary>
        public int MaxCollisions = 2;

        /// <summary>Sketch-mode success requires FDE within this distance.</summary>
        public double SketchSuccessRadiusM = 0.5;

        /// <summary>Geodesic length range of sampled start-goal pairs.</summary>
        public double MinPathM = 3.0;

        /// <summary>Geodesic length range of sampled start-goal pairs.</summary>
        public double MaxPathM = 12.0;

        /// <summary>People walk in straight lines and bounce off obstacles.</summary>
        public bool PeopleWalking = false;

        /// <summary>Distance a walking person covers per step.</summary>
        public double PeopleSpeedM = 0.1;

        /// <summary>Sketch mode without a sketch id: "eval" (packaged sketches) or "random".</summary>
        public string SketchPool = "eval";

        /// <summary>A* grid cell size.</summary>
        public double PlannerResolutionM = 0.1;

        /// <summary>Extra clearance beyond the robot radius kept by planned paths.</summary>
        public double PlannerMarginM = 0.2;

        /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid value (as config.py).</summary>
        public void Validate()
        {
            if (MaxSteps <= 0)
                throw new ArgumentException(RewardConfig.Format("episode.max_steps must be a positive integer, got {0}", MaxSteps));
            Positive("episode.subgoal_spacing_m", SubgoalSpacingM);
            Positive("episode.subgoal_radius_m", SubgoalRadiusM);
            Positive("episode.goal_radius_m", GoalRadiusM);
            Positive("episode.sketch_success_radius_m", SketchSuccessRadiusM);
            Positive("episode.min_path_m", MinPathM);
            Positive("episode.max_path_m", MaxPathM);
            Positive("episode.planner_resolution_m", PlannerResolutionM);
            if (!(PeopleSpeedM >= 0))
                throw new ArgumentException(RewardConfig.Format("episode.people_speed_m must be >= 0, got {0}", PeopleSpeedM));
            if (!(PlannerMarginM >= 0))
                throw new ArgumentException(RewardConfig.Format("episode.planner_margin_m must be >= 0, got {0}", PlannerMarginM));
            if (MaxCollisions < 0)
                throw new ArgumentException(RewardConfig.Format("episode.max_collisions must be an integer >= 0, got {0}", MaxCollisions));
            if (MaxPathM < MinPathM)
                throw new ArgumentException(RewardConfig.Format(
                    "episode.max_path_m ({0}) must be >= episode.min_path_m ({1})", MaxPathM, MinPathM));
            if (SketchPool != "eval" && SketchPool != "random")
                throw new ArgumentException("episode.sketch_pool must be 'eval' or 'random', got '" + SketchPool + "'");
        }

        private static void Positive(string key, double value)
        {
            if (!(value > 0) || double.IsInfinity(value))
                throw new ArgumentException(RewardConfig.Format("{0} must be > 0, got {1}", key, value));
        }
    }

    /// <summary>The HSR base as a disk moving in discrete steps (mirrors <c>xai_sim.config.RobotConfig</c>).</summary>
    [Serializable]
    public sealed class RobotConfig
    {
        /// <summary>Footprint radius for collisions and planner inflation.</summary>
        public double RadiusM = 0.22;

        /// <summary>Distance of one forward action.</summary>
        public double StepLengthM = 0.25;

        /// <summary>Rotation of one left / right action (left = counter-clockwise seen from above).</summary>
        public double TurnAngleDeg = 30.0;

        /// <summary>Turn angle in radians.</summary>
        public double TurnAngleRad
        {
            get { return TurnAngleDeg * (Math.PI / 180.0); }  // as Python's math.radians
        }
    }
}
