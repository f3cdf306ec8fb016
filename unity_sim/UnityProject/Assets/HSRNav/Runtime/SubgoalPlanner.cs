// Plain C# (no UnityEngine): start / goal sampling and sub-goal placement after xai_sim's planner.py
// and IndoorNavEnv._sample_task, in brief:
//   * occupancy grid (0.1 m) whose cells are occupied when their centre is closer than
//     robot radius + margin to a box or a person;
//   * 8-connected A* with the octile heuristic, no diagonal corner cutting, end points snapped to
//     the nearest free cell within 4 cells;
//   * string pulling (keep only the vertices needed for straight segments through free cells);
//   * sub-goals at every corner turning more than 10 deg and every <= spacing metres between them.
// Start and goal are drawn with System.Random, so they differ from the Python simulator's for the
// same seed; the rules that score them (NavRules) are the same.
using System;
using System.Collections.Generic;
using HSRNav.Rules;

namespace HSRNav.World
{
    /// <summary>Inflated occupancy grid: row i, column j has its centre at origin + ((j, i) + 0.5) * resolution.</summary>
    public sealed class OccupancyGrid
    {
        public readonly bool[,] Occupied;
        public readonly double OriginX, OriginY, Resolution;
        public readonly int Rows, Cols;

        public OccupancyGrid(LayoutData layout, IList<double[]> peopleXY, double resolution, double inflation)
        {
            double x0 = layout.bounds[0], y0 = layout.bounds[1];
            Cols = (int)Math.Ceiling((layout.bounds[2] - x0) / resolution);
            Rows = (int)Math.Ceiling((layout.bounds[3] - y0) / resolution);
            OriginX = x0;
            OriginY = y0;
            Resolution = resolution;
            Occupied = new bool[Rows, Cols];
            for (int i = 0; i < Rows; i++)
            {
                double y = y0 + (i + 0.5) * resolution;
                for (int j = 0; j < Cols; j++)
                {
                    double x = x0 + (j + 0.5) * resolution;
                    Occupied[i, j] = Blocked(layout, peopleXY, x, y, inflation);
                }
            }
        }

        private static bool Blocked(LayoutData layout, IList<double[]> peopleXY, double x, double y, double inflation)
        {
            foreach (var b in layout.boxes)
            {
                double dx = Math.Max(Math.Max(b.xmin - x, x - b.xmax), 0.0);
                double dy = Math.Max(Math.Max(b.ymin - y, y - b.ymax), 0.0);
                if (dx * dx + dy * dy < inflation * inflation) return true;
            }
            if (peopleXY != null)
            {
                double reach = LayoutData.PersonRadiusM + inflation;
                foreach (var p in peopleXY)
                    if ((p[0] - x) * (p[0] - x) + (p[1] - y) * (p[1] - y) < reach * reach) return true;
            }
            return false;
        }

        public bool FreeCell(int row, int col)
        {
            return row >= 0 && row < Rows && col >= 0 && col < Cols && !Occupied[row, col];
        }

        public int Row(double y)
        {
            return (int)Math.Floor((y - OriginY) / Resolution);
        }

        public int Col(double x)
        {
            return (int)Math.Floor((x - OriginX) / Resolution);
        }

        public Vec2 CellCentre(int row, int col)
        {
            return new Vec2(OriginX + (col + 0.5) * Resolution, OriginY + (row + 0.5) * Resolution);
        }
    }

    public static class SubgoalPlanner
    {
        private static readonly double Sqrt2 = Math.Sqrt(2.0);

        /// <summary>
        /// Samples a start and a goal in free space whose smoothed A* path is MinPathM..MaxPathM long
        /// (30 tries, like _sample_task); returns the path (start first) or null.
        /// </summary>
        public static List<Vec2> SampleTask(LayoutData layout, IList<double[]> peopleXY, Random rng,
                                            EpisodeConfig episode, RobotConfig robot)
        {
            double inflation = robot.RadiusM + episode.PlannerMarginM;
            var grid = new OccupancyGrid(layout, peopleXY, episode.PlannerResolutionM, inflation);
            double clearance = inflation + episode.PlannerResolutionM;
            for (int attempt = 0; attempt < 30; attempt++)
            {
                var s = layout.FreeSpaceSample(rng, clearance, peopleXY);
                var g = layout.FreeSpaceSample(rng, clearance, peopleXY);
                if (s == null || g == null) return null;
                var start = new Vec2(s[0], s[1]);
                var goal = new Vec2(g[0], g[1]);
                double straight = Vec2.Distance(start, goal);
                if (straight < episode.MinPathM * 0.5 || straight > episode.MaxPathM) continue;
                var path = AStar(grid, start, goal);
                if (path == null) continue;
                path = Smooth(grid, path);
                double length = PathLength(path);
                if (length >= episode.MinPathM && length <= episode.MaxPathM) return path;
            }
            return null;
        }

        /// <summary>8-connected A* (octile heuristic, no corner cutting); exact end points, cell centres between.</summary>
        public static List<Vec2> AStar(OccupancyGrid grid, Vec2 start, Vec2 goal)
        {
            int[] s = NearestFree(grid, grid.Row(start.Y), grid.Col(start.X));
            int[] g = NearestFree(grid, grid.Row(goal.Y), grid.Col(goal.X));
            if (s == null || g == null) return null;
            int cols = grid.Cols, size = grid.Rows * grid.Cols;
            var best = new double[size];
            var parent = new int[size];
            var closed = new bool[size];
            for (int i = 0; i < size; i++)
            {
                best[i] = double.PositiveInfinity;
                parent[i] = -1;
            }
            int startId = s[0] * cols + s[1], goalId = g[0] * cols + g[1];
            var open = new MinHeap();
            best[startId] = 0.0;
            open.Push(0.0, 0.0, startId);
            bool found = false;
            while (open.Count > 0)
            {
                double cost;
                int node = open.Pop(out cost);
                if (closed[node]) continue;
                if (node == goalId)
                {
                    found = true;
                    break;
                }
                closed[node] = true;
                int r = node / cols, c = node % cols;
                for (int dr = -1; dr <= 1; dr++)
                {
                    for (int dc = -1; dc <= 1; dc++)
                    {
                        if (dr == 0 && dc == 0) continue;
                        int nr = r + dr, nc = c + dc;
                        if (!grid.FreeCell(nr, nc)) continue;
                        bool diagonal = dr != 0 && dc != 0;
                        if (diagonal && (!grid.FreeCell(r + dr, c) || !grid.FreeCell(r, c + dc))) continue;
                        int nb = nr * cols + nc;
                        if (closed[nb]) continue;
                        double nCost = cost + (diagonal ? Sqrt2 : 1.0);
                        if (nCost >= best[nb]) continue;
                        best[nb] = nCost;
                        parent[nb] = node;
                        int hr = Math.Abs(nr - g[0]), hc = Math.Abs(nc - g[1]);
                        open.Push(nCost + hr + hc + (Sqrt2 - 2.0) * Math.Min(hr, hc), nCost, nb);
                    }
                }
            }
            if (!found) return null;
            var path = new List<Vec2>();
            for (int node = goalId; node != -1; node = parent[node])
                path.Add(grid.CellCentre(node / cols, node % cols));
            path.Reverse();
            path[0] = start;
            path[path.Count - 1] = goal;
            return path;
        }

        private static int[] NearestFree(OccupancyGrid grid, int row, int col, int maxCells = 4)
        {
            int[] best = null;
            int bestD = int.MaxValue;
            for (int r = row - maxCells; r <= row + maxCells; r++)
            {
                for (int c = col - maxCells; c <= col + maxCells; c++)
                {
                    if (!grid.FreeCell(r, c)) continue;
                    int d = (r - row) * (r - row) + (c - col) * (c - col);
                    if (d < bestD)
                    {
                        bestD = d;
                        best = new[] { r, c };
                    }
                }
            }
            return best;
        }

        /// <summary>String pulling: from each kept vertex jump to the farthest one reachable in a straight free line.</summary>
        public static List<Vec2> Smooth(OccupancyGrid grid, List<Vec2> path)
        {
            if (path.Count <= 2) return new List<Vec2>(path);
            var output = new List<Vec2> { path[0] };
            int i = 0;
            while (i < path.Count - 1)
            {
                int j = i + 1;
                for (int k = path.Count - 1; k > i + 1; k--)
                {
                    if (SegmentFree(grid, path[i], path[k]))
                    {
                        j = k;
                        break;
                    }
                }
                output.Add(path[j]);
                i = j;
            }
            return output;
        }

        private static bool SegmentFree(OccupancyGrid grid, Vec2 a, Vec2 b)
        {
            double length = Vec2.Distance(a, b);
            int samples = Math.Max((int)(length / (grid.Resolution / 2.0)) + 2, 2);
            for (int s = 0; s < samples; s++)
            {
                double t = (double)s / (samples - 1);
                if (!grid.FreeCell(grid.Row(a.Y + t * (b.Y - a.Y)), grid.Col(a.X + t * (b.X - a.X)))) return false;
            }
            return true;
        }

        public static double PathLength(IList<Vec2> path)
        {
            double total = 0.0;
            for (int i = 1; i < path.Count; i++) total += Vec2.Distance(path[i - 1], path[i]);
            return total;
        }

        /// <summary>
        /// Sub-goals along a smoothed path (xai_sim's subgoals_along with keep_corners): every vertex
        /// turning more than 10 deg, and each straight piece split evenly into parts no longer than
        /// <paramref name="spacing"/>; the start is not a sub-goal, the last is the goal.
        /// </summary>
        public static List<Vec2> SubgoalsAlong(IList<Vec2> path, double spacing)
        {
            if (spacing <= 0) throw new ArgumentException("spacing must be > 0");
            if (path.Count <= 2)
            {
                // A single straight piece: xai_sim places a sub-goal every `spacing` metres of arc
                // length and drops one closer than spacing / 2 to the goal.
                var marks = new List<Vec2>();
                double total = PathLength(path);
                Vec2 a0 = path[0], b0 = path[path.Count - 1];
                for (int k = 1; k * spacing <= total - spacing / 2; k++)
                {
                    double t = k * spacing / total;
                    marks.Add(new Vec2(a0.X + t * (b0.X - a0.X), a0.Y + t * (b0.Y - a0.Y)));
                }
                marks.Add(b0);
                return marks;
            }
            var corners = new List<Vec2> { path[0] };
            for (int i = 1; i < path.Count - 1; i++)
            {
                double h0 = Math.Atan2(path[i].Y - path[i - 1].Y, path[i].X - path[i - 1].X);
                double h1 = Math.Atan2(path[i + 1].Y - path[i].Y, path[i + 1].X - path[i].X);
                if (Math.Abs(NavMath.WrapAngle(h1 - h0)) > 10.0 * Math.PI / 180.0) corners.Add(path[i]);
            }
            corners.Add(path[path.Count - 1]);
            var result = new List<Vec2>();
            for (int i = 1; i < corners.Count; i++)
            {
                Vec2 a = corners[i - 1], b = corners[i];
                int pieces = Math.Max((int)Math.Ceiling(Vec2.Distance(a, b) / spacing - 1e-9), 1);
                for (int k = 1; k <= pieces; k++)
                {
                    double t = (double)k / pieces;
                    result.Add(new Vec2(a.X + t * (b.X - a.X), a.Y + t * (b.Y - a.Y)));
                }
            }
            if (result.Count == 0) result.Add(path[path.Count - 1]);
            result[result.Count - 1] = path[path.Count - 1];
            return result;
        }

        /// <summary>Binary min-heap ordered by (f, g, node), like the Python planner's heapq tuples.</summary>
        private sealed class MinHeap
        {
            private readonly List<double> _f = new List<double>();
            private readonly List<double> _g = new List<double>();
            private readonly List<int> _n = new List<int>();

            public int Count
            {
                get { return _n.Count; }
            }

            public void Push(double f, double g, int node)
            {
                _f.Add(f);
                _g.Add(g);
                _n.Add(node);
                int i = _n.Count - 1;
                while (i > 0)
                {
                    int p = (i - 1) / 2;
                    if (!Less(i, p)) break;
                    Swap(i, p);
                    i = p;
                }
            }

            public int Pop(out double g)
            {
                int node = _n[0];
                g = _g[0];
                int last = _n.Count - 1;
                Swap(0, last);
                _f.RemoveAt(last);
                _g.RemoveAt(last);
                _n.RemoveAt(last);
                int i = 0;
                while (true)
                {
                    int l = 2 * i + 1, r = l + 1, m = i;
                    if (l < _n.Count && Less(l, m)) m = l;
                    if (r < _n.Count && Less(r, m)) m = r;
                    if (m == i) break;
                    Swap(i, m);
                    i = m;
                }
                return node;
            }

            private bool Less(int a, int b)
            {
                if (_f[a] != _f[b]) return _f[a] < _f[b];
                if (_g[a] != _g[b]) return _g[a] < _g[b];
                return _n[a] < _n[b];
            }

            private void Swap(int a, int b)
            {
                double f = _f[a];
                _f[a] = _f[b];
                _f[b] = f;
                double g = _g[a];
                _g[a] = _g[b];
                _g[b] = g;
                int n = _n[a];
                _n[a] = _n[b];
                _n[b] = n;
            }
        }
    }
}
