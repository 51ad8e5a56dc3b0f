//! Clipping to the plotting area. plotters draws outside a chart's axes if asked to, so
//! data beyond a fixed axis range is cut here, in "fraction space" (each axis mapped to
//! [0, 1], linear in pixels, so straight segments stay straight on log axes too).

use super::coord::AxisCoord;

type Point = (f64, f64);

/// The visible rectangle of one chart.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Viewport {
    pub x: AxisCoord,
    pub y: AxisCoord,
}

/// Slack so that points exactly on the boundary survive rounding.
const EPS: f64 = 1e-9;

impl Viewport {
    fn unit_of(&self, (x, y): Point) -> Point {
        (self.x.fraction(x), self.y.fraction(y))
    }

    fn value_of(&self, (u, v): Point) -> Point {
        (self.x.value_at(u), self.y.value_at(v))
    }

    /// Whether a point lies inside the visible rectangle.
    pub fn contains(&self, p: Point) -> bool {
        let (u, v) = self.unit_of(p);
        (-EPS..=1.0 + EPS).contains(&u) && (-EPS..=1.0 + EPS).contains(&v)
    }

    /// The visible pieces of a polyline, each a polyline of at least two points.
    pub fn polylines(&self, points: &[Point]) -> Vec<Vec<Point>> {
        let mut pieces: Vec<Vec<Point>> = Vec::new();
        let mut joined = false;
        for pair in points.windows(2) {
            let (a, b) = (self.unit_of(pair[0]), self.unit_of(pair[1]));
            match clip_segment(a, b) {
                Some((start, end, start_kept, end_kept)) => {
                    // Unclipped ends are passed through exactly.
                    let first = if start_kept { pair[0] } else { self.value_of(start) };
                    let last = if end_kept { pair[1] } else { self.value_of(end) };
                    match pieces.last_mut() {
                        // The previous segment ended, unclipped, where this one starts.
                        Some(piece) if joined && start_kept => piece.push(last),
                        _ => pieces.push(vec![first, last]),
                    }
                    joined = end_kept;
                }
                None => joined = false,
            }
        }
        pieces
    }

    /// A polygon cut to the visible rectangle (Sutherland-Hodgman); empty if none is visible.
    pub fn polygon(&self, points: &[Point]) -> Vec<Point> {
        let mut poly: Vec<Point> = points.iter().map(|&p| self.unit_of(p)).collect();
        type Edge = fn(Point) -> f64;
        // Signed distance inside each edge of the unit square.
        let edges: [Edge; 4] = [|p| p.0, |p| 1.0 - p.0, |p| p.1, |p| 1.0 - p.1];
        for inside in edges {
            let mut out = Vec::with_capacity(poly.len() + 4);
            for i in 0..poly.len() {
                let (a, b) = (poly[i], poly[(i + 1) % poly.len()]);
                let (da, db) = (inside(a), inside(b));
                if da >= 0.0 {
                    out.push(a);
                }
                if (da >= 0.0) != (db >= 0.0) {
                    let t = da / (da - db);
                    out.push((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)));
                }
            }
            poly = out;
            if poly.is_empty() {
                break;
            }
        }
        poly.into_iter().map(|p| self.value_of(p)).collect()
    }
}

/// Liang-Barsky clipping of segment `a`-`b` to the unit square. Returns the visible part and
/// whether each end was kept unclipped.
fn clip_segment(a: Point, b: Point) -> Option<(Point, Point, bool, bool)> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [(-dx, a.0 + EPS), (dx, 1.0 + EPS - a.0), (-dy, a.1 + EPS), (dy, 1.0 + EPS - a.1)] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| (a.0 + t * dx, a.1 + t * dy);
    Some((at(t0), at(t1), t0 == 0.0, t1 == 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit_view() -> Viewport {
        let axis = AxisCoord { low: 0.0, high: 1.0, log: false };
        Viewport { x: axis, y: axis }
    }

    #[test]
    fn polyline_inside_is_unchanged() {
        let pts = vec![(0.1, 0.1), (0.5, 0.9), (0.9, 0.2)];
        assert_eq!(unit_view().polylines(&pts), vec![pts]);
    }

    #[test]
    fn polyline_leaving_and_returning_splits_in_two() {
        let pts = [(0.0, 0.5), (0.5, 2.0), (1.0, 0.5)];
        let pieces = unit_view().polylines(&pts);
        assert_eq!(pieces.len(), 2, "{pieces:?}");
        for piece in &pieces {
            assert!(piece.iter().all(|&(_, y)| y <= 1.0 + 1e-6));
        }
        assert!((pieces[0][1].1 - 1.0).abs() < 1e-6);
        assert!(unit_view().polylines(&[(2.0, 2.0), (3.0, 3.0)]).is_empty());
    }

    #[test]
    fn polygon_is_cut_to_the_square() {
        let square = [(-1.0, -1.0), (2.0, -1.0), (2.0, 2.0), (-1.0, 2.0)];
        let cut = unit_view().polygon(&square);
        assert!(cut.len() >= 4);
        assert!(cut.iter().all(|&(x, y)| (0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y)));
        assert!(unit_view().polygon(&[(2.0, 2.0), (3.0, 2.0), (3.0, 3.0)]).is_empty());
    }

    #[test]
    fn log_axes_clip_in_pixel_space() {
        let view = Viewport {
            x: AxisCoord { low: 1.0, high: 100.0, log: true },
            y: AxisCoord { low: 1.0, high: 100.0, log: true },
        };
        let pieces = view.polylines(&[(1.0, 1.0), (1000.0, 1000.0)]);
        let end = pieces[0][1];
        assert!((end.0 - 100.0).abs() < 1e-6 && (end.1 - 100.0).abs() < 1e-6, "{end:?}");
    }
}
