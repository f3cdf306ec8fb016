// Plain C# (no UnityEngine): the reward, sub-goal, success and episode rules of xai_sim's
// IndoorNavEnv.step (unity_sim/xai_sim/xai_sim/env.py), so the Unity environment pays exactly the
// rewards the Python simulator pays. Checked under mono against parity vectors the simulator writes
// (unity_sim/UnityProject/build_tests.sh, xai_sim/parity.py).
//
// What needs the scene (did the forward move hit a wall, furniture or a person; where is the robot
// now) comes in as inputs: the collision flag and the position, or, at the lowest level, the
// distances the rules read. Everything else (counters, sub-goal advance, termination, success,
// ADE / FDE) is decided here, in the order env.py decides it.
using System;
using System.Collections.Generic;
using System.Globalization;

namespace HSRNav.Rules
{
    /// <summary>
    /// Episode state machine of one agent. Call <see cref="BeginEpisode"/> with the sub-goals (goal
    /// mode: the planned sub-goals, the last one is the goal; sketch mode: the sketch waypoints, one per
    /// step) and the start pose, then <see cref="Step(Vec2, bool)"/> once per action.
    /// </summary>
    public sealed class NavRules
    {
        private readonly RewardConfig _reward;
        private readonly EpisodeConfig _episode;

        private Vec2[] _subgoals = new Vec2[0];
        private NavMode _mode;
        private int _maxSteps;
        private int _step;
        private int _collisions;
        private int _subgoalIndex;
        private bool _begun;
        private bool _done;
        private bool _success;
        private string _reason = EndReason.Running;
        private double[] _sketchDists = new double[0];
        private int _sketchCount;
        private Pose2 _pose;

        /// <param name="reward">reward terms (null: xai_sim defaults); validated.</param>
        /// <param name="episode">episode rules (null: xai_sim defaults); validated.</param>
        public NavRules(RewardConfig reward = null, EpisodeConfig episode = null)
        {
            _reward = reward ?? new RewardConfig();
            _episode = episode ?? new EpisodeConfig();
            _reward.Validate();
            _episode.Validate();
        }

        public RewardConfig Reward
        {
            get { return _reward; }
        }

        public EpisodeConfig Episode
        {
            get { return _episode; }
        }

        public NavMode Mode
        {
            get { return _mode; }
        }

        /// <summary>Step limit of the episode: <c>MaxSteps</c> in goal mode, the sketch length in sketch mode.</summary>
        public int MaxSteps
        {
            get { return _maxSteps; }
        }

        public int StepCount
        {
            get { return _step; }
        }

        public int Collisions
        {
            get { return _collisions; }
        }

        public bool Done
        {
            get { return _done; }
        }

        public bool Success
        {
            get { return _success; }
        }

        public string Reason
        {
            get { return _reason; }
        }

        /// <summary>Index of the current sub-goal (sketch mode: of the waypoint of the next step).</summary>
        public int SubgoalIndex
        {
            get { return _subgoalIndex; }
        }

        public int NumSubgoals
        {
            get { return _subgoals.Length; }
        }

        /// <summary>The current sub-goal (sketch mode: the waypoint of the next step).</summary>
        public Vec2 CurrentSubgoal
        {
            get { return _subgoals[_subgoalIndex]; }
        }

        /// <summary>The final goal (sketch mode: the last waypoint).</summary>
        public Vec2 Goal
        {
            get { return _subgoals[_subgoals.Length - 1]; }
        }

        public Vec2 SubgoalAt(int index)
        {
            return _subgoals[index];
        }

        /// <summary>Pose last given to <see cref="BeginEpisode"/> / <see cref="Step(Pose2, bool)"/>.</summary>
        public Pose2 Pose
        {
            get { return _pose; }
        }

        /// <summary>
        /// Starts an episode (xai_sim: <c>reset</c>). Counters restart; the goal-mode step limit is
        /// <c>Episode.MaxSteps</c>, the sketch-mode one the number of waypoints.
        /// </summary>
        /// <param name="mode">goal or sketch.</param>
        /// <param name="subgoals">goal mode: sub-goals, the last is the goal; sketch mode: waypoints, one per step.</param>
        /// <param name="start">start pose (world frame).</param>
        public void BeginEpisode(NavMode mode, IList<Vec2> subgoals, Pose2 start)
        {
            if (subgoals == null || subgoals.Count == 0)
                throw new ArgumentException("an episode needs at least one sub-goal / waypoint", "subgoals");
            _mode = mode;
            _subgoals = new Vec2[subgoals.Count];
            subgoals.CopyTo(_subgoals, 0);
            _maxSteps = mode == NavMode.Sketch ? _subgoals.Length : _episode.MaxSteps;
            _step = 0;
            _collisions = 0;
            _subgoalIndex = 0;
            _done = false;
            _success = false;
            _reason = EndReason.Running;
            _sketchDists = new double[Math.Max(_maxSteps, 1)];
            _sketchCount = 0;
            _pose = start;
            _begun = true;
        }

        /// <summary>
        /// One step from the new pose (what the Unity agent calls). The pose before the move is the one
        /// of the previous call (or the start); a blocked forward move passes the unchanged pose and
        /// <paramref name="collision"/> = true.
        /// </summary>
        public StepOutcome Step(Pose2 poseAfter, bool collision)
        {
            RequireRunning();
            Vec2 before = _pose.Position;
            Vec2 after = poseAfter.Position;
            double distanceBefore = Vec2.Distance(before, _subgoals[_subgoalIndex]);
            _pose = poseAfter;
            Vec2[] subgoals = _subgoals;
            return Step(collision, distanceBefore, i => Vec2.Distance(after, subgoals[i]));
        }

        /// <summary>As <see cref="Step(Pose2, bool)"/> for a position only (the yaw is kept).</summary>
        public StepOutcome Step(Vec2 positionAfter, bool collision)
        {
            return Step(new Pose2(positionAfter.X, positionAfter.Y, _pose.Yaw), collision);
        }

        /// <summary>
        /// One step from geometric results only (the core: every other overload ends here).
        /// </summary>
        /// <param name="collision">the forward move was blocked (counts a collision, costs the penalty).</param>
        /// <param name="distanceBefore">goal mode: distance from the pose before the move to the current
        /// sub-goal (index <see cref="SubgoalIndex"/> before this call); unused in sketch mode.</param>
        /// <param name="distanceAfter">distance from the position after the move to sub-goal / waypoint
        /// <c>i</c>. Goal mode reads the current sub-goal, the following ones while they count as
        /// reached, and the last (the goal); sketch mode reads the waypoint of this step (index
        /// <c>step - 1</c>).</param>
        public StepOutcome Step(bool collision, double distanceBefore, Func<int, double> distanceAfter)
        {
            RequireRunning();
            if (distanceAfter == null) throw new ArgumentNullException("distanceAfter");
            // env.py order: move (count the collision), then the step counter, then the rules.
            if (collision) _collisions++;
            _step++;

            var outcome = new StepOutcome();
            bool terminated = false, truncated = false;
            double reward;
            if (_mode == NavMode.Sketch)
            {
                double d = distanceAfter(_step - 1);
                _sketchDists[_sketchCount++] = d;
                reward = -d;
                _subgoalIndex = Math.Min(_step, _subgoals.Length - 1);
                if (_step >= _maxSteps)
                {
                    terminated = true;
                    _reason = EndReason.SketchDone;
                    _success = d <= _episode.SketchSuccessRadiusM && _collisions <= _episode.MaxCollisions;
                }
            }
            else
            {
                reward = _reward.StepPenalty
                         + _reward.ProgressScale * (distanceBefore - distanceAfter(_subgoalIndex));
                if (collision) reward += _reward.CollisionPenalty;
                int last = _subgoals.Length - 1;
                while (_subgoalIndex < last && distanceAfter(_subgoalIndex) <= _episode.SubgoalRadiusM)
                {
                    _subgoalIndex++;
                    reward += _reward.SubgoalBonus;
                    outcome.SubgoalsReached++;
                }
                if (distanceAfter(last) <= _episode.GoalRadiusM)
                {
                    reward += _reward.GoalBonus;
                    _subgoalIndex = last;
                    terminated = true;
                    _reason = EndReason.GoalReached;
                    _success = _collisions <= _episode.MaxCollisions;
                }
                else if (_step >= _maxSteps)
                {
                    truncated = true;
                    _reason = EndReason.MaxSteps;
                }
            }
            _done = terminated || truncated;

            outcome.Reward = reward;
            outcome.Terminated = terminated;
            outcome.Truncated = truncated;
            outcome.Success = _success;
            outcome.SubgoalIndex = _subgoalIndex;
            outcome.Collisions = _collisions;
            outcome.Step = _step;
            outcome.Reason = _reason;
            return outcome;
        }

        /// <summary>Average displacement error (m): sketch mode, once the episode is over; else NaN.</summary>
        public double Ade
        {
            get { return SketchMetricsReady ? NavMath.Mean(_sketchDists, _sketchCount) : double.NaN; }
        }

        /// <summary>Final displacement error (m): sketch mode, once the episode is over; else NaN.</summary>
        public double Fde
        {
            get { return SketchMetricsReady ? _sketchDists[_sketchCount - 1] : double.NaN; }
        }

        private bool SketchMetricsReady
        {
            get { return _mode == NavMode.Sketch && _done && _sketchCount > 0; }
        }

        /// <summary>Snapshot like xai_sim's <c>episode_status()</c>.</summary>
        public EpisodeStatus Status()
        {
            return new EpisodeStatus
            {
                Step = _step,
                Collisions = _collisions,
                SubgoalIndex = _subgoalIndex,
                NumSubgoals = _subgoals.Length,
                Done = _done,
                Success = _success,
                Reason = _reason,
                Ade = Ade,
                Fde = Fde,
            };
        }

        // ------------------------------------------------------------------ observations

        /// <summary>
        /// The <c>goal</c> observation at <paramref name="pose"/>: [sub-goal distance m, sub-goal
        /// bearing rad, goal distance m, goal bearing rad]; bearings relative to the heading, CCW
        /// positive, wrapped to [-pi, pi) (xai_sim's <c>_relative</c>).
        /// </summary>
        public void GoalObservation(Pose2 pose, float[] output)
        {
            if (output == null || output.Length < 4) throw new ArgumentException("need 4 floats", "output");
            double d, a;
            Relative(pose, _subgoals[_subgoalIndex], out d, out a);
            output[0] = (float)d;
            output[1] = (float)a;
            Relative(pose, Goal, out d, out a);
            output[2] = (float)d;
            output[3] = (float)a;
        }

        /// <summary>
        /// The sketch waypoint of the next step in the robot frame (x forward, y left), metres; zeros
        /// in goal mode (xai_sim's <c>waypoint</c> observation).
        /// </summary>
        public void WaypointObservation(Pose2 pose, out double forward, out double left)
        {
            forward = left = 0.0;
            if (_mode != NavMode.Sketch) return;
            Vec2 wp = _subgoals[Math.Min(_step, _subgoals.Length - 1)];
            double dx = wp.X - pose.X, dy = wp.Y - pose.Y;
            double c = Math.Cos(pose.Yaw), s = Math.Sin(pose.Yaw);
            forward = c * dx + s * dy;
            left = -s * dx + c * dy;
        }

        /// <summary>
        /// The <c>pose_waypoint</c> observation of the Unity contract: [x, y, yaw, waypoint forward,
        /// waypoint left] (world pose, then <see cref="WaypointObservation"/>).
        /// </summary>
        public void PoseWaypointObservation(Pose2 pose, float[] output)
        {
            if (output == null || output.Length < 5) throw new ArgumentException("need 5 floats", "output");
            double f, l;
            WaypointObservation(pose, out f, out l);
            output[0] = (float)pose.X;
            output[1] = (float)pose.Y;
            output[2] = (float)pose.Yaw;
            output[3] = (float)f;
            output[4] = (float)l;
        }

        /// <summary>Distance and bearing (relative to the heading, wrapped) of a world point.</summary>
        public static void Relative(Pose2 pose, Vec2 target, out double distance, out double bearing)
        {
            double dx = target.X - pose.X, dy = target.Y - pose.Y;
            distance = NavMath.Hypot(dx, dy);
            bearing = NavMath.WrapAngle(Math.Atan2(dy, dx) - pose.Yaw);
        }

        private void RequireRunning()
        {
            if (!_begun) throw new InvalidOperationException("call BeginEpisode() before Step()");
            if (_done) throw new InvalidOperationException("episode is over; call BeginEpisode() before Step()");
        }

        public override string ToString()
        {
            return string.Format(CultureInfo.InvariantCulture, "NavRules({0}, step {1}/{2}, sub-goal {3}/{4}, {5})",
                _mode, _step, _maxSteps, _subgoalIndex, _subgoals.Length, _reason);
        }
    }
}
