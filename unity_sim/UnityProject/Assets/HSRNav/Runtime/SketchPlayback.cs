using System;
using System.Collections.Generic;
using System.IO;
using HSRNav.Rules;
using HSRNav.World;
using UnityEngine;

namespace HSRNav.Runtime
{
    /// <summary>One sketch instruction (xai_sim's Sketch): a start pose and one waypoint per step.</summary>
    [Serializable]
    public class SketchData
    {
        public string id;
        public string kind;
        public string layout;

        /// <summary>[x, y, yaw] (ROS world frame).</summary>
        public double[] start_pose = new double[3];

        /// <summary>Waypoints flattened [x0, y0, x1, y1, ...]; waypoint k is where the robot should be after action k + 1.</summary>
        public double[] waypoints_xy = new double[0];

        public Pose2 StartPose
        {
            get { return new Pose2(start_pose[0], start_pose[1], start_pose[2]); }
        }

        public List<Vec2> Waypoints()
        {
            var list = new List<Vec2>(waypoints_xy.Length / 2);
            for (int i = 0; i + 1 < waypoints_xy.Length; i += 2) list.Add(new Vec2(waypoints_xy[i], waypoints_xy[i + 1]));
            return list;
        }
    }

    [Serializable]
    public class SketchCollection
    {
        public int version;
        public SketchData[] sketches = new SketchData[0];
    }

    /// <summary>
    /// Sketch instruction playback. Loads the ten evaluation sketches of xai_sim
    /// (StreamingAssets/HSRNav/sketches.json, exported by <c>python -m xai_sim.parity --unity-assets</c>),
    /// picks one by id or at random, or draws a random training sketch in a layout (after xai_sim's
    /// random_sketch: 1-3 constant-curvature pieces, 0.04..0.12 m per step, clearance 0.4 m). During an
    /// episode the waypoint of step k is <see cref="WaypointAt"/>(k); NavRules scores the robot against
    /// it and TopdownView draws the whole sketch on the top-down map.
    /// </summary>
    public class SketchPlayback : MonoBehaviour
    {
        public const int SketchLength = 100;

        [Tooltip("Path below StreamingAssets of the evaluation sketches (xai_sim export).")]
        public string sketchesFile = "HSRNav/sketches.json";

        private SketchCollection _eval;
        private SketchData _current;
        private List<Vec2> _waypoints = new List<Vec2>();

        /// <summary>The sketch being played (null in goal mode).</summary>
        public SketchData Current
        {
            get { return _current; }
        }

        public IList<Vec2> CurrentWaypoints
        {
            get { return _waypoints; }
        }

        public IList<SketchData> EvaluationSketches
        {
            get
            {
                Load();
                return _eval.sketches;
            }
        }

        /// <summary>Starts playing <paramref name="sketch"/> (null: none, goal mode).</summary>
        public void Begin(SketchData sketch)
        {
            _current = sketch;
            _waypoints = sketch != null ? sketch.Waypoints() : new List<Vec2>();
        }

        /// <summary>The waypoint of step <paramref name="step"/> (0-based), clamped to the last one.</summary>
        public Vec2 WaypointAt(int step)
        {
            return _waypoints[Math.Max(0, Math.Min(step, _waypoints.Count - 1))];
        }

        /// <summary>An evaluation sketch by id, or null.</summary>
        public SketchData Find(string id)
        {
            Load();
            foreach (var s in _eval.sketches)
                if (s.id == id) return s;
            return null;
        }

        /// <summary>A random evaluation sketch.</summary>
        public SketchData PickEvaluation(System.Random rng)
        {
            Load();
            if (_eval.sketches.Length == 0) return null;
            return _eval.sketches[rng.Next(_eval.sketches.Length)];
        }

        private void Load()
        {
            if (_eval != null) return;
            string path = Path.Combine(Application.streamingAssetsPath, sketchesFile);
            try
            {
                _eval = JsonUtility.FromJson<SketchCollection>(File.ReadAllText(path));
            }
            catch (Exception e)
            {
                Debug.LogError("SketchPlayback: cannot read the sketches from " + path + " (" + e.Message +
                               "); write them with `python -m xai_sim.parity --unity-assets`.");
                _eval = new SketchCollection();
            }
            if (_eval == null || _eval.sketches == null) _eval = new SketchCollection();
        }

        /// <summary>
        /// A random drivable sketch in <paramref name="layout"/> (null when none fits in
        /// <paramref name="maxTries"/> attempts).
        /// </summary>
        public static SketchData RandomSketch(System.Random rng, LayoutData layout, IList<double[]> peopleXY,
                                              double clearance = 0.4, int maxTries = 200)
        {
            for (int attempt = 0; attempt < maxTries; attempt++)
            {
                var intervals = new double[SketchLength];
                string kind;
                if (rng.NextDouble() < 0.5)
                {
                    double v = Uniform(rng, 0.05, 0.12);
                    for (int i = 0; i < SketchLength; i++) intervals[i] = v;
                    kind = "equal";
                }
                else
                {
                    int cut1 = rng.Next(20, 81), cut2 = rng.Next(20, 81);
                    bool two = rng.NextDouble() < 0.5 && cut1 != cut2;
                    double s0 = Uniform(rng, 0.04, 0.12), s1 = Uniform(rng, 0.04, 0.12), s2 = Uniform(rng, 0.04, 0.12);
                    int a = two ? Math.Min(cut1, cut2) : cut1, b = two ? Math.Max(cut1, cut2) : SketchLength;
                    for (int i = 0; i < SketchLength; i++) intervals[i] = i < a ? s0 : (i < b ? s1 : s2);
                    kind = "unequal";
                }
                double length = 0;
                foreach (double v in intervals) length += v;
                var start = layout.FreeSpaceSample(rng, clearance, peopleXY);
                if (start == null) return null;
                double heading = Uniform(rng, -Math.PI, Math.PI);
                if (rng.NextDouble() < 0.5) heading = Math.Round(heading / (Math.PI / 2)) * (Math.PI / 2);
                int pieces = rng.Next(1, 4);
                var bounds = new double[pieces - 1];
                for (int i = 0; i < bounds.Length; i++) bounds[i] = Uniform(rng, 0, length);
                Array.Sort(bounds);
                var curvature = new double[pieces];
                bool curved = false;
                for (int i = 0; i < pieces; i++)
                {
                    curvature[i] = rng.NextDouble() < 0.4 ? 0.0 : Uniform(rng, 0.25, 0.7) * (rng.NextDouble() < 0.5 ? -1 : 1);
                    curved |= curvature[i] != 0.0;
                }

                // Integrate the path with 2 cm steps and check it stays clear.
                const double ds = 0.02;
                var path = new List<Vec2> { new Vec2(start[0], start[1]) };
                double x = start[0], y = start[1], theta = heading;
                bool ok = true;
                for (double s = 0.0; s < length && ok; s += ds)
                {
                    int piece = 0;
                    while (piece < bounds.Length && s > bounds[piece]) piece++;
                    x += Math.Cos(theta) * ds;
                    y += Math.Sin(theta) * ds;
                    theta += curvature[piece] * ds;
                    path.Add(new Vec2(x, y));
                    ok = x >= layout.bounds[0] + clearance && x <= layout.bounds[2] - clearance
                         && y >= layout.bounds[1] + clearance && y <= layout.bounds[3] - clearance
                         && layout.ObstacleDistance(x, y, peopleXY) >= clearance;
                }
                if (!ok) continue;
                if (curved && kind == "equal") kind = "curve";

                var flat = new double[2 * SketchLength];
                double travelled = 0;
                for (int k = 0; k < SketchLength; k++)
                {
                    travelled += intervals[k];
                    Vec2 p = PointAt(path, travelled);
                    flat[2 * k] = p.X;
                    flat[2 * k + 1] = p.Y;
                }
                return new SketchData
                {
                    id = "random_" + kind,
                    kind = kind,
                    layout = layout.name,
                    start_pose = new[] { start[0], start[1], heading },
                    waypoints_xy = flat,
                };
            }
            return null;
        }

        private static double Uniform(System.Random rng, double lo, double hi)
        {
            return lo + rng.NextDouble() * (hi - lo);
        }

        /// <summary>The point at arc length <paramref name="distance"/> along a polyline (clamped).</summary>
        private static Vec2 PointAt(List<Vec2> path, double distance)
        {
            double walked = 0;
            for (int i = 1; i < path.Count; i++)
            {
                double seg = Vec2.Distance(path[i - 1], path[i]);
                if (walked + seg >= distance && seg > 0)
                {
                    double t = (distance - walked) / seg;
                    return new Vec2(path[i - 1].X + t * (path[i].X - path[i - 1].X),
                                    path[i - 1].Y + t * (path[i].Y - path[i - 1].Y));
                }
                walked += seg;
            }
            return path[path.Count - 1];
        }

        private void OnDrawGizmos()
        {
            if (_waypoints == null || _waypoints.Count < 2) return;
            Gizmos.color = Color.black;
            for (int i = 1; i < _waypoints.Count; i++)
            {
                Gizmos.DrawLine(new Vector3((float)-_waypoints[i - 1].Y, 0.05f, (float)_waypoints[i - 1].X),
                                new Vector3((float)-_waypoints[i].Y, 0.05f, (float)_waypoints[i].X));
            }
        }
    }
}
