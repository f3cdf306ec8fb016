// Plain C# (no UnityEngine, so mono can compile it here): the 2-D world model of a layout, in the
// ROS world frame (REP-103, metres), as xai_sim's World: axis-aligned boxes (walls, furniture) as
// vertical prisms, people as cylinders, and the world bounds. LayoutBuilder turns it into GameObjects.
//
// Named layouts come from a JSON export of xai_sim (Assets/StreamingAssets/HSRNav/layouts.json,
// written by `python -m xai_sim.parity --unity-assets`), so they are the simulator's layouts exactly.
// Procedural plans (ProceduralLayouts.Generate) follow generate_floor_plan's recipe with
// System.Random: same kinds of plans, NOT the same geometry as xai_sim for the same seed.
using System;
using System.Collections.Generic;

namespace HSRNav.World
{
    /// <summary>Semantic class of a surface; the values are xai_sim's labels (0..3).</summary>
    public enum SemanticClass
    {
        Wall = 0,
        Floor = 1,
        Furniture = 2,
        Person = 3,
    }

    /// <summary>
    /// Segmentation colours (RGB, 0..255) of each <see cref="SemanticClass"/>: xai_sim's LABEL_COLORS,
    /// wall green, floor blue, furniture red, person grey; and the extra colours of the top-down map
    /// (render.py: outside the world, robot arrow, waypoints, trajectory).
    /// </summary>
    public static class SemanticColors
    {
        public static readonly byte[][] Label =
        {
            new byte[] { 0, 255, 0 },      // wall
            new byte[] { 0, 0, 255 },      // floor
            new byte[] { 255, 0, 0 },      // furniture
            new byte[] { 128, 128, 128 },  // person
        };

        public static readonly byte[] TopdownOutside = { 32, 32, 32 };
        public static readonly byte[] TopdownRobot = { 255, 255, 255 };
        public static readonly byte[] TopdownWaypoint = { 0, 0, 0 };
        public static readonly byte[] TopdownTrajectory = { 255, 255, 0 };

        public static byte[] Of(SemanticClass cls)
        {
            return Label[(int)cls];
        }
    }

    /// <summary>One box: footprint [xmin, ymin, xmax, ymax] (m, world frame), height (m), label.</summary>
    [Serializable]
    public class LayoutBox
    {
        public double xmin;
        public double ymin;
        public double xmax;
        public double ymax;
        public double height;
        public int label;

        public LayoutBox()
        {
        }

        public LayoutBox(double x0, double y0, double x1, double y1, double h, SemanticClass cls)
        {
            xmin = x0;
            ymin = y0;
            xmax = x1;
            ymax = y1;
            height = h;
            label = (int)cls;
        }
    }

    /// <summary>A person centre (m, world frame).</summary>
    [Serializable]
    public class LayoutPerson
    {
        public double x;
        public double y;
    }

    /// <summary>A layout (field names follow the JSON export; UnityEngine.JsonUtility reads it).</summary>
    [Serializable]
    public class LayoutData
    {
        public const double WallThicknessM = 0.12;
        public const double WallHeightM = 2.5;
        public const double PersonRadiusM = 0.25;
        public const double PersonHeightM = 1.7;

        public string name = "procedural";

        /// <summary>[xmin, ymin, xmax, ymax] enclosing all geometry.</summary>
        public double[] bounds = new double[4];

        public LayoutBox[] boxes = new LayoutBox[0];
        public LayoutPerson[] people = new LayoutPerson[0];

        /// <summary>
        /// True if a disk of <paramref name="radius"/> at (x, y) intersects a box (any height), a person
        /// (if <paramref name="includePeople"/>) or leaves the bounds (xai_sim's World.collides).
        /// </summary>
        public bool Collides(double x, double y, double radius, IList<double[]> peopleXY, bool includePeople = true)
        {
            if (x - radius < bounds[0] || x + radius > bounds[2] || y - radius < bounds[1] || y + radius > bounds[3])
                return true;
            foreach (var b in boxes)
            {
                double dx = Math.Max(Math.Max(b.xmin - x, x - b.xmax), 0.0);
                double dy = Math.Max(Math.Max(b.ymin - y, y - b.ymax), 0.0);
                if (dx * dx + dy * dy < radius * radius) return true;
            }
            if (includePeople && peopleXY != null)
            {
                double reach = radius + PersonRadiusM;
                foreach (var p in peopleXY)
                {
                    double dx = p[0] - x, dy = p[1] - y;
                    if (dx * dx + dy * dy < reach * reach) return true;
                }
            }
            return false;
        }

        /// <summary>Distance from (x, y) to the nearest obstacle surface (0 inside a box).</summary>
        public double ObstacleDistance(double x, double y, IList<double[]> peopleXY, bool includePeople = true)
        {
            double best = double.PositiveInfinity;
            foreach (var b in boxes)
            {
                double dx = Math.Max(Math.Max(b.xmin - x, x - b.xmax), 0.0);
                double dy = Math.Max(Math.Max(b.ymin - y, y - b.ymax), 0.0);
                best = Math.Min(best, Math.Sqrt(dx * dx + dy * dy));
            }
            if (includePeople && peopleXY != null)
                foreach (var p in peopleXY)
                    best = Math.Min(best, Math.Max(Math.Sqrt((p[0] - x) * (p[0] - x) + (p[1] - y) * (p[1] - y)) - PersonRadiusM, 0.0));
            return best;
        }

        /// <summary>A uniform point with at least <paramref name="clearance"/> to every obstacle, or null.</summary>
        public double[] FreeSpaceSample(Random rng, double clearance, IList<double[]> peopleXY, int maxTries = 2048)
        {
            double x0 = bounds[0] + clearance, y0 = bounds[1] + clearance;
            double x1 = bounds[2] - clearance, y1 = bounds[3] - clearance;
            if (x1 <= x0 || y1 <= y0) return null;
            for (int i = 0; i < maxTries; i++)
            {
                double x = x0 + rng.NextDouble() * (x1 - x0);
                double y = y0 + rng.NextDouble() * (y1 - y0);
                if (ObstacleDistance(x, y, peopleXY) >= clearance) return new[] { x, y };
            }
            return null;
        }

        /// <summary>People centres as a mutable list of [x, y].</summary>
        public List<double[]> PeopleXY()
        {
            var list = new List<double[]>();
            foreach (var p in people) list.Add(new[] { p.x, p.y });
            return list;
        }
    }

    /// <summary>The JSON export of the named layouts: {"version": 1, "layouts": [...]}.</summary>
    [Serializable]
    public class LayoutCollection
    {
        public int version;
        public LayoutData[] layouts = new LayoutData[0];

        public LayoutData Find(string name)
        {
            foreach (var l in layouts)
                if (l.name == name) return l;
            return null;
        }
    }

    /// <summary>
    /// Procedural floor plans after xai_sim's generate_floor_plan: a corridor with rooms on both sides,
    /// or a binary space partition into rooms; one door (1.0..1.3 m) per room / partition wall;
    /// furniture 0.4..1.2 m high kept away from doors; 0..3 people. Same seed -> same plan here, but
    /// the random stream is System.Random's, so the plans differ from the Python simulator's.
    /// </summary>
    public static class ProceduralLayouts
    {
        private sealed class Builder
        {
            public readonly List<LayoutBox> Boxes = new List<LayoutBox>();
            public readonly List<double[]> Doors = new List<double[]>();   // axis (0 h / 1 v), coord, lo, hi
            public readonly double Width, Height;

            public Builder(double width, double height)
            {
                Width = width;
                Height = height;
                Wall(0, 0.0, 0.0, width, null);
                Wall(0, height, 0.0, width, null);
                Wall(1, 0.0, 0.0, height, null);
                Wall(1, width, 0.0, height, null);
            }

            /// <summary>axis 0: along x at y = coord; axis 1: along y at x = coord. doors: (centre, width).</summary>
            public void Wall(int axis, double coord, double lo, double hi, IList<double[]> doors)
            {
                double t = LayoutData.WallThicknessM;
                var cuts = new List<double[]>();
                if (doors != null)
                    foreach (var d in doors) cuts.Add(new[] { d[0] - d[1] / 2, d[0] + d[1] / 2 });
                cuts.Sort((a, b) => a[0].CompareTo(b[0]));
                double start = lo - t / 2;
                var spans = new List<double[]>();
                foreach (var c in cuts)
                {
                    spans.Add(new[] { start, c[0] });
                    start = c[1];
                    Doors.Add(new[] { axis, coord, c[0], c[1] });
                }
                spans.Add(new[] { start, hi + t / 2 });
                foreach (var s in spans)
                {
                    if (s[1] - s[0] < 1e-6) continue;
                    if (axis == 0)
                        Boxes.Add(new LayoutBox(s[0], coord - t / 2, s[1], coord + t / 2, LayoutData.WallHeightM, SemanticClass.Wall));
                    else
                        Boxes.Add(new LayoutBox(coord - t / 2, s[0], coord + t / 2, s[1], LayoutData.WallHeightM, SemanticClass.Wall));
                }
            }

            public bool DoorConflict(int axis, double coord, double pos)
            {
                foreach (var d in Doors)
                    if ((int)d[0] == axis && Math.Abs(d[1] - coord) < 1e-6 && d[2] - 0.4 < pos && pos < d[3] + 0.4)
                        return true;
                return false;
            }

            public List<double[]> DoorPoints()
            {
                var pts = new List<double[]>();
                foreach (var d in Doors)
                    pts.Add((int)d[0] == 0 ? new[] { (d[2] + d[3]) / 2, d[1] } : new[] { d[1], (d[2] + d[3]) / 2 });
                return pts;
            }
        }

        private static double Uniform(Random rng, double lo, double hi)
        {
            return lo + rng.NextDouble() * (hi - lo);
        }

        private static double Round(double v, int digits)
        {
            return Math.Round(v, digits, MidpointRounding.ToEven);
        }

        /// <summary>A plan from <paramref name="rng"/> (the only source of randomness).</summary>
        public static LayoutData Generate(Random rng)
        {
            const double minRoom = 3.0;
            double width = Round(Uniform(rng, 10.0, 15.0), 1);
            double height = Round(Uniform(rng, 8.0, 11.0), 1);
            var plan = new Builder(width, height);
            var rooms = new List<double[]>();
            Func<double> doorWidth = () => Round(Uniform(rng, 1.0, 1.3), 2);

            if (rng.NextDouble() < 0.5)
            {
                double cw = Uniform(rng, 1.8, 2.2);
                double yc0 = Round(Uniform(rng, 0.35 * height, 0.65 * height - cw), 1);
                yc0 = Math.Max(yc0, minRoom * 0.8);
                double yc1 = yc0 + cw;
                foreach (var side in new[] { new[] { 0.0, yc0, yc0 }, new[] { yc1, height, yc1 } })
                {
                    int n = rng.Next(1, Math.Max(2, Math.Min(4, (int)(width / 3.5) + 1)));
                    var edges = new double[n + 1];
                    for (int i = 0; i <= n; i++) edges[i] = width * i / n;
                    for (int i = 1; i < n; i++) edges[i] += Uniform(rng, -0.5, 0.5);
                    for (int i = 0; i <= n; i++) edges[i] = Round(edges[i], 1);
                    var doors = new List<double[]>();
                    for (int i = 0; i < n; i++)
                    {
                        double x0 = edges[i], x1 = edges[i + 1];
                        double w = doorWidth();
                        double c = Uniform(rng, x0 + 0.3 + w / 2, x1 - 0.3 - w / 2);
                        doors.Add(new[] { c, w });
                        rooms.Add(new[] { x0, side[0], x1, side[1] });
                        if (i > 0) plan.Wall(1, x0, side[0], side[1], null);
                    }
                    plan.Wall(0, side[2], 0.0, width, doors);
                }
            }
            else
            {
                Split(rng, plan, rooms, new[] { 0.0, 0.0, width, height }, 0, minRoom, doorWidth);
            }

            var doorsXY = plan.DoorPoints();
            double margin = LayoutData.WallThicknessM / 2 + 0.02;
            var placed = new List<double[]>();
            foreach (var room in rooms)
            {
                int pieces = rng.Next(1, 4);
                for (int k = 0; k < pieces; k++)
                {
                    for (int attempt = 0; attempt < 20; attempt++)
                    {
                        double sx = Uniform(rng, 0.5, 1.6), sy = Uniform(rng, 0.4, 0.9);
                        if (rng.NextDouble() < 0.5)
                        {
                            double tmp = sx;
                            sx = sy;
                            sy = tmp;
                        }
                        double hx0 = room[0] + margin, hx1 = room[2] - margin - sx;
                        double hy0 = room[1] + margin, hy1 = room[3] - margin - sy;
                        if (hx1 <= hx0 || hy1 <= hy0) break;
                        double x0 = Uniform(rng, hx0, hx1), y0 = Uniform(rng, hy0, hy1);
                        if (rng.NextDouble() < 0.6)  // against the nearest room wall
                        {
                            var gaps = new[] { x0 - hx0, hx1 - x0, y0 - hy0, hy1 - y0 };
                            int best = 0;
                            for (int g = 1; g < 4; g++)
                                if (gaps[g] < gaps[best]) best = g;
                            if (best == 0) x0 = hx0;
                            else if (best == 1) x0 = hx1;
                            else if (best == 2) y0 = hy0;
                            else y0 = hy1;
                        }
                        var box = new[] { x0, y0, x0 + sx, y0 + sy };
                        double cx = (box[0] + box[2]) / 2, cy = (box[1] + box[3]) / 2;
                        bool nearDoor = false;
                        foreach (var d in doorsXY)
                            if (Math.Sqrt((d[0] - cx) * (d[0] - cx) + (d[1] - cy) * (d[1] - cy)) < 1.3 + Math.Max(sx, sy) / 2)
                                nearDoor = true;
                        if (nearDoor) continue;
                        bool crowded = false;
                        foreach (var p in placed)
                            if (box[0] < p[2] + 0.7 && p[0] < box[2] + 0.7 && box[1] < p[3] + 0.7 && p[1] < box[3] + 0.7)
                                crowded = true;
                        if (crowded) continue;
                        placed.Add(box);
                        plan.Boxes.Add(new LayoutBox(box[0], box[1], box[2], box[3], Round(Uniform(rng, 0.4, 1.2), 2),
                                                     SemanticClass.Furniture));
                        break;
                    }
                }
            }

            double t = LayoutData.WallThicknessM;
            var layout = new LayoutData
            {
                name = "procedural",
                bounds = new[] { -t / 2, -t / 2, width + t / 2, height + t / 2 },
                boxes = plan.Boxes.ToArray(),
            };
            var people = new List<double[]>();
            int nPeople = rng.Next(0, 4);
            for (int i = 0; i < nPeople; i++)
            {
                var p = layout.FreeSpaceSample(rng, LayoutData.PersonRadiusM + 0.5, people);
                if (p == null) break;
                bool nearDoor = false;
                foreach (var d in doorsXY)
                    if (Math.Sqrt((d[0] - p[0]) * (d[0] - p[0]) + (d[1] - p[1]) * (d[1] - p[1])) < 1.2) nearDoor = true;
                if (!nearDoor) people.Add(p);
            }
            layout.people = new LayoutPerson[people.Count];
            for (int i = 0; i < people.Count; i++) layout.people[i] = new LayoutPerson { x = people[i][0], y = people[i][1] };
            return layout;
        }

        private static void Split(Random rng, Builder plan, List<double[]> rooms, double[] rect, int depth,
                                  double minRoom, Func<double> doorWidth)
        {
            double x0 = rect[0], y0 = rect[1], x1 = rect[2], y1 = rect[3];
            double w = x1 - x0, h = y1 - y0;
            if (depth >= 3 || Math.Max(w, h) < 2 * minRoom || (depth >= 1 && rng.NextDouble() < 0.25))
            {
                rooms.Add(rect);
                return;
            }
            bool vertical = w >= h;
            double lo = vertical ? x0 : y0, hi = vertical ? x1 : y1;
            double s = 0;
            bool found = false;
            for (int i = 0; i < 10 && !found; i++)
            {
                s = Round(Uniform(rng, lo + minRoom, hi - minRoom), 1);
                found = vertical
                    ? !(plan.DoorConflict(0, y0, s) || plan.DoorConflict(0, y1, s))
                    : !(plan.DoorConflict(1, x0, s) || plan.DoorConflict(1, x1, s));
            }
            if (!found)
            {
                rooms.Add(rect);
                return;
            }
            double a = vertical ? y0 : x0, b = vertical ? y1 : x1;
            double dw = doorWidth();
            double c = Uniform(rng, a + 0.3 + dw / 2, b - 0.3 - dw / 2);
            plan.Wall(vertical ? 1 : 0, s, a, b, new List<double[]> { new[] { c, dw } });
            if (vertical)
            {
                Split(rng, plan, rooms, new[] { x0, y0, s, y1 }, depth + 1, minRoom, doorWidth);
                Split(rng, plan, rooms, new[] { s, y0, x1, y1 }, depth + 1, minRoom, doorWidth);
            }
            else
            {
                Split(rng, plan, rooms, new[] { x0, y0, x1, s }, depth + 1, minRoom, doorWidth);
                Split(rng, plan, rooms, new[] { x0, s, x1, y1 }, depth + 1, minRoom, doorWidth);
            }
        }
    }
}
