// Plain C# (no UnityEngine): small value types of the navigation rules.
using System;
using System.Globalization;

namespace HSRNav.Rules
{
    /// <summary>Episode kind: reach a goal through sub-goals, or follow a sketch (one waypoint per step).</summary>
    public enum NavMode
    {
        Goal = 0,
        Sketch = 1,
    }

    /// <summary>The strings of <c>EpisodeStatus.reason</c> in xai_sim (sent to Python as they are).</summary>
    public static class EndReason
    {
        public const string Running = "running";
        public const string GoalReached = "goal_reached";
        public const string MaxSteps = "max_steps";
        public const string SketchDone = "sketch_done";
    }

    /// <summary>A point in the ROS world frame (REP-103: x forward/east, y left/north), metres.</summary>
    [Serializable]
    public struct Vec2
    {
        public double X;
        public double Y;

        public Vec2(double x, double y)
        {
            X = x;
            Y = y;
        }

        /// <summary>Euclidean distance (xai_sim: <c>math.hypot(dx, dy)</c>).</summary>
        public static double Distance(Vec2 a, Vec2 b)
        {
            return NavMath.Hypot(b.X - a.X, b.Y - a.Y);
        }

        public override string ToString()
        {
            return string.Format(CultureInfo.InvariantCulture, "({0:R}, {1:R})", X, Y);
        }
    }

    /// <summary>A robot pose in the ROS world frame: position (m) and yaw (rad, CCW from +x).</summary>
    [Serializable]
    public struct Pose2
    {
        public double X;
        public double Y;
        public double Yaw;

        public Pose2(double x, double y, double yaw)
        {
            X = x;
            Y = y;
            Yaw = yaw;
        }

        public Vec2 Position
        {
            get { return new Vec2(X, Y); }
        }

        public override string ToString()
        {
            return string.Format(CultureInfo.InvariantCulture, "({0:R}, {1:R}, yaw {2:R})", X, Y, Yaw);
        }
    }

    /// <summary>What one step decided (the values xai_sim's <c>step()</c> returns, plus details).</summary>
    public struct StepOutcome
    {
        /// <summary>Reward of the step (xai_sim's float reward).</summary>
        public double Reward;

        /// <summary>The episode ended: goal reached (goal mode) or sketch over (sketch mode).</summary>
        public bool Terminated;

        /// <summary>The step limit ended a goal-mode episode (ML-Agents: EpisodeInterrupted).</summary>
        public bool Truncated;

        /// <summary>Success flag after the step (only ever set on the final step).</summary>
        public bool Success;

        /// <summary>Sub-goal index after the step (current sketch waypoint index in sketch mode).</summary>
        public int SubgoalIndex;

        /// <summary>Sub-goals passed in this step (each earned the sub-goal bonus).</summary>
        public int SubgoalsReached;

        /// <summary>Collisions so far, this step included.</summary>
        public int Collisions;

        /// <summary>Steps taken so far, this one included.</summary>
        public int Step;

        /// <summary>One of the <see cref="EndReason"/> strings.</summary>
        public string Reason;

        /// <summary>Terminated or truncated.</summary>
        public bool Done
        {
            get { return Terminated || Truncated; }
        }
    }

    /// <summary>
    /// Snapshot of the running episode (mirrors xai_sim's <c>EpisodeStatus</c>). <see cref="Ade"/> /
    /// <see cref="Fde"/> are metres in sketch mode once the episode is over, else NaN.
    /// </summary>
    public struct EpisodeStatus
    {
        public int Step;
        public int Collisions;
        public int SubgoalIndex;
        public int NumSubgoals;
        public bool Done;
        public bool Success;
        public string Reason;
        public double Ade;
        public double Fde;
    }

    /// <summary>Arithmetic that must round exactly like the Python simulator.</summary>
    public static class NavMath
    {
        /// <summary>sqrt(dx^2 + dy^2). Python's math.hypot may differ in the last bit; the rules only
        /// compare it with radii and feed it into rewards checked to 1e-5.</summary>
        public static double Hypot(double dx, double dy)
        {
            return Math.Sqrt(dx * dx + dy * dy);
        }

        /// <summary>
        /// Wraps radians to [-pi, pi) exactly like xai_sim's <c>wrap_angle</c>:
        /// <c>(a + pi) % (2 pi) - pi</c> with Python's floored modulo.
        /// </summary>
        public static double WrapAngle(double a)
        {
            const double twoPi = 2.0 * Math.PI;
            double m = (a + Math.PI) % twoPi;  // C#: truncated (fmod), sign of the dividend
            if (m != 0.0)
            {
                if (m < 0.0) m += twoPi;      // Python: result takes the sign of the divisor
            }
            else
            {
                m = 0.0;                      // copysign(0, +2 pi)
            }
            return m - Math.PI;
        }

        /// <summary>
        /// numpy's float64 sum (pairwise summation, 8-way unrolled blocks of up to 128 values), so a
        /// mean computed here equals <c>np.mean</c> bit for bit.
        /// </summary>
        public static double PairwiseSum(double[] a, int start, int n)
        {
            if (n < 8)
            {
                double res = 0.0;
                for (int i = 0; i < n; i++) res += a[start + i];
                return res;
            }
            if (n <= 128)
            {
                var r = new double[8];
                for (int j = 0; j < 8; j++) r[j] = a[start + j];
                int i = 8;
                for (; i < n - (n % 8); i += 8)
                    for (int j = 0; j < 8; j++) r[j] += a[start + i + j];
                double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
                for (; i < n; i++) res += a[start + i];
                return res;
            }
            int n2 = n / 2;
            n2 -= n2 % 8;
            return PairwiseSum(a, start, n2) + PairwiseSum(a, start + n2, n - n2);
        }

        /// <summary><c>np.mean</c> of a float64 array (NaN when empty).</summary>
        public static double Mean(double[] a, int count)
        {
            if (count == 0) return double.NaN;
            return (0.0 + PairwiseSum(a, 0, count)) / count;
        }
    }
}
