//! The few statistical functions the core needs, written out so the core has no dependencies.

/// The two-sided 95 % quantile of the standard normal distribution.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// Complementary error function, by the Chebyshev fit of Press et al. (fractional error below
/// 1.2e-7 everywhere), which is far tighter than any p-value is ever read.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let ans = t * poly.exp();
    if x >= 0.0 {
        ans
    } else {
        2.0 - ans
    }
}

/// P(|Z| ≥ |z|) for a standard normal Z.
pub fn normal_two_sided_p(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    erfc(z.abs() / std::f64::consts::SQRT_2).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_values_match_printed_normal_tables() {
        // Reference values from standard normal tables.
        let cases = [
            (0.0, 1.0),
            (1.0, 0.317_310_5),
            (Z_95, 0.05),
            (2.575_829_3, 0.01),
            (3.290_526_7, 0.001),
        ];
        for (z, p) in cases {
            let got = normal_two_sided_p(z);
            assert!((got - p).abs() < 2e-7, "z={z}: got {got}, want {p}");
            assert_eq!(normal_two_sided_p(-z), got, "symmetric in z");
        }
    }

    #[test]
    fn p_value_tends_to_zero_far_out() {
        assert!(normal_two_sided_p(10.0) < 1e-20);
        assert!(normal_two_sided_p(f64::INFINITY) == 0.0);
    }
}
