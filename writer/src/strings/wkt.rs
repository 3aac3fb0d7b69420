//! Geometry values: OGC well-known text, which Milvus turns into WKB when it
//! imports (`ConvertWKTToWKB`), as pymilvus writes them (`POINT (1 1)`).
//!
//! Accepted: `POINT`, `LINESTRING`, `POLYGON`, `MULTIPOINT`,
//! `MULTILINESTRING`, `MULTIPOLYGON` and `GEOMETRYCOLLECTION`, in any case,
//! with an optional `Z`, `M` or `ZM`, or `EMPTY`. Coordinates are 2 to 4
//! finite numbers (exactly as many as `Z`/`M`/`ZM` say), the same count
//! throughout a geometry; a line string has at least 2 points, a polygon's
//! rings at least 4 and closed, as GEOS requires. Collections nest at most
//! 32 deep.

/// `Ok` for well-formed WKT, else what is wrong with it.
pub(crate) fn check(text: &str) -> Result<(), String> {
    let mut p = Parser {
        b: text.as_bytes(),
        at: 0,
        width: None,
    };
    p.geometry(0)?;
    p.skip_space();
    if p.at != p.b.len() {
        return Err(format!("unexpected text at byte {}", p.at));
    }
    Ok(())
}

const MAX_DEPTH: usize = 32;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Point,
    LineString,
    Polygon,
    MultiPoint,
    MultiLineString,
    MultiPolygon,
    Collection,
}

struct Parser<'a> {
    b: &'a [u8],
    at: usize,
    /// Numbers per coordinate, once known.
    width: Option<usize>,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        while self.b.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    /// The next word (ASCII letters), upper-cased; empty if none.
    fn word(&mut self) -> String {
        self.skip_space();
        let start = self.at;
        while self.b.get(self.at).is_some_and(u8::is_ascii_alphabetic) {
            self.at += 1;
        }
        self.b[start..self.at]
            .to_ascii_uppercase()
            .into_iter()
            .map(char::from)
            .collect()
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.b.get(self.at).copied()
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.peek() == Some(c) {
            self.at += 1;
            Ok(())
        } else {
            Err(format!("expected `{}` at byte {}", char::from(c), self.at))
        }
    }

    fn geometry(&mut self, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("collections nested more than {MAX_DEPTH} deep"));
        }
        self.skip_space();
        let at = self.at;
        let kind = match self.word().as_str() {
            "POINT" => Kind::Point,
            "LINESTRING" => Kind::LineString,
            "POLYGON" => Kind::Polygon,
            "MULTIPOINT" => Kind::MultiPoint,
            "MULTILINESTRING" => Kind::MultiLineString,
            "MULTIPOLYGON" => Kind::MultiPolygon,
            "GEOMETRYCOLLECTION" => Kind::Collection,
            "" => return Err(format!("expected a geometry type at byte {at}")),
            _ => return Err(format!("unknown geometry type at byte {at}")),
        };
        self.skip_space();
        let save = self.at;
        let width = match self.word().as_str() {
            "Z" | "M" => Some(3),
            "ZM" => Some(4),
            "EMPTY" => return Ok(()),
            "" => None,
            _ => {
                return Err(format!(
                    "expected `(`, `EMPTY`, `Z`, `M` or `ZM` at byte {save}"
                ));
            }
        };
        if let Some(w) = width {
            if self.width.is_some_and(|known| known != w) {
                return Err(format!("coordinates of mixed dimensions at byte {save}"));
            }
            self.width = Some(w);
            let save = self.at;
            if self.word() == "EMPTY" {
                return Ok(());
            }
            self.at = save;
        }
        self.body(kind, depth)
    }

    /// `(...)` of a geometry of this kind (or `EMPTY` where a part may be).
    fn body(&mut self, kind: Kind, depth: usize) -> Result<(), String> {
        match kind {
            Kind::Point => {
                self.expect(b'(')?;
                self.coordinate()?;
                self.expect(b')')
            }
            Kind::LineString => self.points(2, false),
            Kind::Polygon => self.list(|p| p.points(4, true)),
            Kind::MultiPoint => self.list(|p| {
                if p.peek() == Some(b'(') {
                    p.body(Kind::Point, depth)
                } else {
                    p.empty_or(|p| p.coordinate().map(drop))
                }
            }),
            Kind::MultiLineString => self.list(|p| p.empty_or(|p| p.points(2, false))),
            Kind::MultiPolygon => self.list(|p| p.empty_or(|p| p.list(|p| p.points(4, true)))),
            Kind::Collection => self.list(|p| p.geometry(depth + 1)),
        }
    }

    fn empty_or(
        &mut self,
        part: impl FnOnce(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        let save = self.at;
        if self.word() == "EMPTY" {
            return Ok(());
        }
        self.at = save;
        part(self)
    }

    /// `( part, part, ... )`, at least one part.
    fn list(
        &mut self,
        mut part: impl FnMut(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        self.expect(b'(')?;
        loop {
            part(self)?;
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b')') => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(format!("expected `,` or `)` at byte {}", self.at)),
            }
        }
    }

    /// `(x y, x y, ...)`: at least `min` points; closed if `ring`.
    fn points(&mut self, min: usize, ring: bool) -> Result<(), String> {
        self.skip_space();
        let start = self.at;
        let mut coords: Vec<[f64; 4]> = Vec::new();
        self.list(|p| {
            coords.push(p.coordinate()?);
            Ok(())
        })?;
        if coords.len() < min {
            let what = if ring {
                "a polygon ring"
            } else {
                "a line string"
            };
            return Err(format!("{what} needs at least {min} points (byte {start})"));
        }
        if ring && coords.first() != coords.last() {
            return Err(format!(
                "a polygon ring must end where it starts (byte {start})"
            ));
        }
        Ok(())
    }

    /// One coordinate: 2 to 4 finite numbers, as many as the others.
    fn coordinate(&mut self) -> Result<[f64; 4], String> {
        self.skip_space();
        let start = self.at;
        let mut out = [0.0; 4];
        let mut n = 0;
        while n < 4 && matches!(self.peek(), Some(b'0'..=b'9' | b'-' | b'+' | b'.')) {
            out[n] = self.number()?;
            n += 1;
        }
        match self.width {
            _ if n < 2 => Err(format!(
                "expected a coordinate of 2 to 4 numbers at byte {start}"
            )),
            Some(w) if w != n => Err(format!(
                "a coordinate of {n} numbers where the geometry has {w} (byte {start})"
            )),
            _ => {
                self.width = Some(n);
                Ok(out)
            }
        }
    }

    fn number(&mut self) -> Result<f64, String> {
        self.skip_space();
        let start = self.at;
        while self
            .b
            .get(self.at)
            .is_some_and(|c| matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            self.at += 1;
        }
        // ASCII only, so a valid str.
        let text = std::str::from_utf8(&self.b[start..self.at]).unwrap_or("");
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            Ok(_) => Err(format!("a number out of range at byte {start}")),
            Err(_) => Err(format!("not a number at byte {start}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepted() {
        for ok in [
            "POINT (1 1)",
            "point(1.5 -2e3)",
            "POINT Z (1 2 3)",
            "POINT (1 2 3)",
            "POINT ZM (1 2 3 4)",
            "POINT EMPTY",
            "LINESTRING (0 0, 1 1, 2 0)",
            "POLYGON ((0 0, 1 0, 1 1, 0 0))",
            "POLYGON ((0 0, 4 0, 4 4, 0 4, 0 0), (1 1, 2 1, 2 2, 1 1))",
            "MULTIPOINT ((1 2), (3 4))",
            "MULTIPOINT (1 2, 3 4)",
            "MULTIPOINT (EMPTY, 1 2)",
            "MULTILINESTRING ((0 0, 1 1), EMPTY)",
            "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))",
            "GEOMETRYCOLLECTION (POINT (1 1), LINESTRING (0 0, 1 1))",
            "GEOMETRYCOLLECTION EMPTY",
            "  POINT(1 1)  ",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refused_with_the_reason() {
        for (bad, why) in [
            ("", "expected a geometry type at byte 0"),
            ("CIRCLE (1 1)", "unknown geometry type at byte 0"),
            (
                "POINT (1)",
                "expected a coordinate of 2 to 4 numbers at byte 7",
            ),
            ("POINT (1 2 3 4 5)", "expected `)` at byte 15"),
            (
                "POINT (1 nan)",
                "expected a coordinate of 2 to 4 numbers at byte 7",
            ),
            ("POINT (1 1e999)", "a number out of range at byte 9"),
            ("POINT (1 --2)", "not a number at byte 9"),
            (
                "POINT Z (1 2)",
                "a coordinate of 2 numbers where the geometry has 3 (byte 9)",
            ),
            (
                "LINESTRING (0 0, 1 1 1)",
                "a coordinate of 3 numbers where the geometry has 2 (byte 17)",
            ),
            (
                "LINESTRING (0 0)",
                "a line string needs at least 2 points (byte 11)",
            ),
            (
                "POLYGON ((0 0, 1 0, 1 1, 0 1))",
                "a polygon ring must end where it starts (byte 9)",
            ),
            (
                "POLYGON ((0 0, 1 0, 0 0))",
                "a polygon ring needs at least 4 points (byte 9)",
            ),
            ("POINT (1 1) x", "unexpected text at byte 12"),
            ("POINT (1 1", "expected `)` at byte 10"),
            (
                "POINT (1 é)",
                "expected a coordinate of 2 to 4 numbers at byte 7",
            ),
            (
                "POINT FOO",
                "expected `(`, `EMPTY`, `Z`, `M` or `ZM` at byte 6",
            ),
            ("SRID=4326;POINT (1 1)", "unknown geometry type at byte 0"),
        ] {
            assert_eq!(check(bad), Err(why.to_owned()), "{bad}");
        }
        let deep = format!(
            "{}POINT (1 1){}",
            "GEOMETRYCOLLECTION (".repeat(40),
            ")".repeat(40)
        );
        assert_eq!(
            check(&deep),
            Err("collections nested more than 32 deep".to_owned())
        );
    }
}
