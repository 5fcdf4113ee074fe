;; Fused elementwise kernels for the tfjs wasm backend, written by hand in WebAssembly SIMD (4 float32 lanes).
;;
;; Why: the exact GELU and LayerNorm are built from 5 to 20 small tfjs kernels each (forward and gradient),
;; each a pass over memory plus JavaScript bookkeeping; together about 15% of a training step. One pass each
;; here. The module imports the tfjs backend's own memory, so it reads and writes tensors in place.
;;
;; Assembled by `npx tsx scripts/build_simd.ts` into kernels_wasm.ts (checked by test/fused.test.ts).
;; All pointers are byte offsets into that memory; all counts are float32 elements.
(module
  (import "env" "memory" (memory 0))

  ;; Phi(x), the standard normal CDF, and exp(-x^2 / 2), on four lanes. With z = |x| / sqrt 2 and
  ;; t = 1 / (1 + p z), Abramowitz & Stegun 7.1.26 gives 1 - erf(z) = q = t P(t) exp(-z^2), |error| < 1.5e-7
  ;; (the formula tfjs uses for erf). Phi(x) = q / 2 for x < 0 and 1 - q / 2 otherwise: the negative side
  ;; never computes 1 - (1 - small), so it keeps its relative precision in the far tail.
  ;;
  ;; exp(a), a = -z^2 <= 0, is Cephes' expf, written out here (a call per vector costs ~6%): a = n ln 2 + r with
  ;; ln 2 in two parts, exp(r) by a degree-6 polynomial, 2^n written into the exponent bits. a is clamped at -87
  ;; so that 2^n stays a normal float: exp(-87) = 1.6e-38 stands in for the 0 the exact exp underflows to.
  ;; pmax is one instruction (max with wasm's NaN rules is several).
  (func $phi4 (param $x v128) (result v128 v128)
    (local $z v128) (local $t v128) (local $p v128) (local $e v128) (local $half_q v128)
    (local $a v128) (local $k v128) (local $n v128) (local $r v128) (local $q v128)
    (local.set $z (f32x4.mul (f32x4.abs (local.get $x)) (f32x4.splat (f32.const 0.70710678118654752))))
    (local.set $t (f32x4.div (f32x4.splat (f32.const 1))
                             (f32x4.add (f32x4.splat (f32.const 1)) (f32x4.mul (local.get $z) (f32x4.splat (f32.const 0.3275911))))))
    (local.set $p (f32x4.splat (f32.const 1.061405429)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (f32x4.splat (f32.const -1.453152027))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (f32x4.splat (f32.const 1.421413741))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (f32x4.splat (f32.const -0.284496736))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (f32x4.splat (f32.const 0.254829592))))
    ;; e = exp(a), a = -z^2
    (local.set $a (f32x4.pmax (f32x4.neg (f32x4.mul (local.get $z) (local.get $z))) (f32x4.splat (f32.const -87))))
    ;; n = round(a / ln 2): adding 1.5 * 2^23 rounds to an integer, held in the low mantissa bits of k
    (local.set $k (f32x4.add (f32x4.mul (local.get $a) (f32x4.splat (f32.const 1.44269504088896341))) (f32x4.splat (f32.const 12582912))))
    (local.set $n (f32x4.sub (local.get $k) (f32x4.splat (f32.const 12582912))))
    (local.set $r (f32x4.sub (local.get $a) (f32x4.mul (local.get $n) (f32x4.splat (f32.const 0.693359375)))))
    (local.set $r (f32x4.add (local.get $r) (f32x4.mul (local.get $n) (f32x4.splat (f32.const 2.12194440e-4)))))
    (local.set $q (f32x4.splat (f32.const 1.9875691500e-4)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $r)) (f32x4.splat (f32.const 1.3981999507e-3))))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $r)) (f32x4.splat (f32.const 8.3334519073e-3))))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $r)) (f32x4.splat (f32.const 4.1665795894e-2))))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $r)) (f32x4.splat (f32.const 1.6666665459e-1))))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $r)) (f32x4.splat (f32.const 5.0000001201e-1))))
    (local.set $q (f32x4.add (f32x4.add (f32x4.mul (local.get $q) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
                             (f32x4.splat (f32.const 1))))
    ;; times 2^n: k's low bits hold n + 2^22; shifted into the exponent field, the 2^22 falls off the top
    (local.set $e (f32x4.mul (local.get $q)
      (i32x4.add (i32x4.shl (local.get $k) (i32.const 23)) (i32x4.splat (i32.const 0x3f800000)))))
    (local.set $half_q (f32x4.mul (f32x4.mul (f32x4.mul (local.get $p) (local.get $t)) (local.get $e)) (f32x4.splat (f32.const 0.5))))
    (v128.bitselect
      (local.get $half_q)
      (f32x4.sub (f32x4.splat (f32.const 1)) (local.get $half_q))
      (f32x4.lt (local.get $x) (f32x4.splat (f32.const 0))))
    (local.get $e))

  ;; y = x Phi(x), the exact GELU (PyTorch's nn.GELU default), over n elements.
  (func (export "gelu") (param $x i32) (param $y i32) (param $n i32)
    (local $end i32) (local $v v128) (local $phi v128) (local $e v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $v (v128.load (local.get $x)))
        (call $phi4 (local.get $v))
        (local.set $e) (local.set $phi)
        (v128.store (local.get $y) (f32x4.mul (local.get $v) (local.get $phi)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $vec)))
    ;; the last n mod 4 elements, one lane at a time
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $v (v128.load32_zero (local.get $x)))
        (call $phi4 (local.get $v))
        (local.set $e) (local.set $phi)
        (v128.store32_lane 0 (local.get $y) (f32x4.mul (local.get $v) (local.get $phi)))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (br $tail))))

  ;; dx = dy (Phi(x) + x phi(x)), phi(x) = exp(-x^2 / 2) / sqrt(2 pi): the gradient of gelu.
  (func $gelu_grad4 (param $v v128) (param $dy v128) (result v128)
    (local $phi v128) (local $e v128)
    (call $phi4 (local.get $v))
    (local.set $e) (local.set $phi)
    (f32x4.mul (local.get $dy)
      (f32x4.add (local.get $phi)
                 (f32x4.mul (local.get $v) (f32x4.mul (local.get $e) (f32x4.splat (f32.const 0.39894228040143268)))))))

  (func (export "gelu_grad") (param $x i32) (param $dy i32) (param $dx i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (v128.store (local.get $dx) (call $gelu_grad4 (v128.load (local.get $x)) (v128.load (local.get $dy))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
        (br $vec)))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $x) (local.get $end)))
        (v128.store32_lane 0 (local.get $dx) (call $gelu_grad4 (v128.load32_zero (local.get $x)) (v128.load32_zero (local.get $dy))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 4)))
        (br $tail))))

  ;; Sum of the four lanes.
  (func $hsum (param $v v128) (result f32)
    (f32.add (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
             (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; Sum of n floats at p.
  (func $sum (param $p i32) (param $n i32) (result f32)
    (local $end i32) (local $acc v128) (local $s f32)
    (local.set $end (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $acc (f32x4.add (local.get $acc) (v128.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $vec)))
    (local.set $s (call $hsum (local.get $acc)))
    (local.set $end (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $s (f32.add (local.get $s) (f32.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tail)))
    (local.get $s))

  ;; Sum of (x - m)^2 over n floats at p.
  (func $sum_sq_dev (param $p i32) (param $n i32) (param $m f32) (result f32)
    (local $end i32) (local $acc v128) (local $d v128) (local $mv v128) (local $s f32) (local $ds f32)
    (local.set $mv (f32x4.splat (local.get $m)))
    (local.set $end (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $d (f32x4.sub (v128.load (local.get $p)) (local.get $mv)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $vec)))
    (local.set $s (call $hsum (local.get $acc)))
    (local.set $end (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $ds (f32.sub (f32.load (local.get $p)) (local.get $m)))
        (local.set $s (f32.add (local.get $s) (f32.mul (local.get $ds) (local.get $ds))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tail)))
    (local.get $s))

;; Mean of a row of c floats, and 1 / sqrt(biased variance + eps) around mean m (two passes, as PyTorch).
  (func $row_mean (param $p i32) (param $c i32) (result f32)
    (f32.div (call $sum (local.get $p) (local.get $c)) (f32.convert_i32_u (local.get $c))))
  (func $row_rstd (param $p i32) (param $c i32) (param $m f32) (param $eps f32) (result f32)
    (f32.div (f32.const 1)
      (f32.sqrt (f32.add (f32.div (call $sum_sq_dev (local.get $p) (local.get $c) (local.get $m)) (f32.convert_i32_u (local.get $c)))
                         (local.get $eps)))))

  ;; LayerNorm over the last axis of a (rows, c) matrix, as PyTorch's: y = (x - mean) rstd w + b with
  ;; rstd = 1 / sqrt(biased variance + eps).
  (func (export "layer_norm") (param $x i32) (param $w i32) (param $b i32) (param $y i32)
                              (param $rows i32) (param $c i32) (param $eps f32)
    (local $row i32) (local $j i32) (local $c4 i32) (local $m f32) (local $r f32) (local $mv v128) (local $rv v128)
    (local $off i32)
    (local.set $c4 (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $row) (local.get $rows)))
        (local.set $m (call $row_mean (local.get $x) (local.get $c)))
        (local.set $r (call $row_rstd (local.get $x) (local.get $c) (local.get $m) (local.get $eps)))
        (local.set $mv (f32x4.splat (local.get $m)))
        (local.set $rv (f32x4.splat (local.get $r)))
        (local.set $off (i32.const 0))
        (block $vec_done
          (loop $vec
            (br_if $vec_done (i32.ge_u (local.get $off) (local.get $c4)))
            (v128.store (i32.add (local.get $y) (local.get $off))
              (f32x4.add
                (f32x4.mul (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $off))) (local.get $mv)) (local.get $rv))
                           (v128.load (i32.add (local.get $w) (local.get $off))))
                (v128.load (i32.add (local.get $b) (local.get $off)))))
            (local.set $off (i32.add (local.get $off) (i32.const 16)))
            (br $vec)))
        (block $tail_done
          (loop $tail
            (br_if $tail_done (i32.ge_u (local.get $off) (i32.shl (local.get $c) (i32.const 2))))
            (f32.store (i32.add (local.get $y) (local.get $off))
              (f32.add
                (f32.mul (f32.mul (f32.sub (f32.load (i32.add (local.get $x) (local.get $off))) (local.get $m)) (local.get $r))
                         (f32.load (i32.add (local.get $w) (local.get $off))))
                (f32.load (i32.add (local.get $b) (local.get $off)))))
            (local.set $off (i32.add (local.get $off) (i32.const 4)))
            (br $tail)))
        (local.set $x (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $y (i32.add (local.get $y) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows))))

  ;; Gradient of layer_norm. With xhat = (x - mean) rstd and g = dy w (both per element of a row):
  ;;   dx = rstd (g - mean_row(g) - xhat mean_row(g xhat)),   dw = sum_rows dy xhat,   db = sum_rows dy.
  ;; dw and db are overwritten (zeroed first). Each row's mean and rstd are computed again from x: the row is
  ;; in cache by then, and the forward pass then needs no second output.
  (func (export "layer_norm_grad") (param $x i32) (param $w i32) (param $dy i32)
                                   (param $dx i32) (param $dw i32) (param $db i32) (param $rows i32) (param $c i32) (param $eps f32)
    (local $row i32) (local $off i32) (local $c4 i32) (local $cb i32)
    (local $mv v128) (local $rv v128) (local $xh v128) (local $d v128) (local $g v128) (local $sg v128) (local $sgx v128)
    (local $m f32) (local $r f32) (local $xhs f32) (local $ds f32) (local $gs f32) (local $sum_g f32) (local $sum_gx f32)
    (local $mg v128) (local $mgx v128) (local $mgs f32) (local $mgxs f32)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $c4 (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (memory.fill (local.get $dw) (i32.const 0) (local.get $cb))
    (memory.fill (local.get $db) (i32.const 0) (local.get $cb))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $row) (local.get $rows)))
        (local.set $m (call $row_mean (local.get $x) (local.get $c)))
        (local.set $r (call $row_rstd (local.get $x) (local.get $c) (local.get $m) (local.get $eps)))
        (local.set $mv (f32x4.splat (local.get $m)))
        (local.set $rv (f32x4.splat (local.get $r)))
        (local.set $sg (v128.const i32x4 0 0 0 0))
        (local.set $sgx (v128.const i32x4 0 0 0 0))
        ;; pass 1: row sums of g and g xhat; accumulate dw and db
        (local.set $off (i32.const 0))
        (block $v1_done
          (loop $v1
            (br_if $v1_done (i32.ge_u (local.get $off) (local.get $c4)))
            (local.set $xh (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $off))) (local.get $mv)) (local.get $rv)))
            (local.set $d (v128.load (i32.add (local.get $dy) (local.get $off))))
            (local.set $g (f32x4.mul (local.get $d) (v128.load (i32.add (local.get $w) (local.get $off)))))
            (local.set $sg (f32x4.add (local.get $sg) (local.get $g)))
            (local.set $sgx (f32x4.add (local.get $sgx) (f32x4.mul (local.get $g) (local.get $xh))))
            (v128.store (i32.add (local.get $dw) (local.get $off))
              (f32x4.add (v128.load (i32.add (local.get $dw) (local.get $off))) (f32x4.mul (local.get $d) (local.get $xh))))
            (v128.store (i32.add (local.get $db) (local.get $off))
              (f32x4.add (v128.load (i32.add (local.get $db) (local.get $off))) (local.get $d)))
            (local.set $off (i32.add (local.get $off) (i32.const 16)))
            (br $v1)))
        (local.set $sum_g (call $hsum (local.get $sg)))
        (local.set $sum_gx (call $hsum (local.get $sgx)))
        (block $t1_done
          (loop $t1
            (br_if $t1_done (i32.ge_u (local.get $off) (local.get $cb)))
            (local.set $xhs (f32.mul (f32.sub (f32.load (i32.add (local.get $x) (local.get $off))) (local.get $m)) (local.get $r)))
            (local.set $ds (f32.load (i32.add (local.get $dy) (local.get $off))))
            (local.set $gs (f32.mul (local.get $ds) (f32.load (i32.add (local.get $w) (local.get $off)))))
            (local.set $sum_g (f32.add (local.get $sum_g) (local.get $gs)))
            (local.set $sum_gx (f32.add (local.get $sum_gx) (f32.mul (local.get $gs) (local.get $xhs))))
            (f32.store (i32.add (local.get $dw) (local.get $off))
              (f32.add (f32.load (i32.add (local.get $dw) (local.get $off))) (f32.mul (local.get $ds) (local.get $xhs))))
            (f32.store (i32.add (local.get $db) (local.get $off))
              (f32.add (f32.load (i32.add (local.get $db) (local.get $off))) (local.get $ds)))
            (local.set $off (i32.add (local.get $off) (i32.const 4)))
            (br $t1)))
        (local.set $mgs (f32.div (local.get $sum_g) (f32.convert_i32_u (local.get $c))))
        (local.set $mgxs (f32.div (local.get $sum_gx) (f32.convert_i32_u (local.get $c))))
        (local.set $mg (f32x4.splat (local.get $mgs)))
        (local.set $mgx (f32x4.splat (local.get $mgxs)))
        ;; pass 2: dx
        (local.set $off (i32.const 0))
        (block $v2_done
          (loop $v2
            (br_if $v2_done (i32.ge_u (local.get $off) (local.get $c4)))
            (local.set $xh (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $off))) (local.get $mv)) (local.get $rv)))
            (local.set $g (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $off))) (v128.load (i32.add (local.get $w) (local.get $off)))))
            (v128.store (i32.add (local.get $dx) (local.get $off))
              (f32x4.mul (local.get $rv)
                (f32x4.sub (f32x4.sub (local.get $g) (local.get $mg)) (f32x4.mul (local.get $xh) (local.get $mgx)))))
            (local.set $off (i32.add (local.get $off) (i32.const 16)))
            (br $v2)))
        (block $t2_done
          (loop $t2
            (br_if $t2_done (i32.ge_u (local.get $off) (local.get $cb)))
            (local.set $xhs (f32.mul (f32.sub (f32.load (i32.add (local.get $x) (local.get $off))) (local.get $m)) (local.get $r)))
            (local.set $gs (f32.mul (f32.load (i32.add (local.get $dy) (local.get $off))) (f32.load (i32.add (local.get $w) (local.get $off)))))
            (f32.store (i32.add (local.get $dx) (local.get $off))
              (f32.mul (local.get $r)
                (f32.sub (f32.sub (local.get $gs) (local.get $mgs)) (f32.mul (local.get $xhs) (local.get $mgxs)))))
            (local.set $off (i32.add (local.get $off) (i32.const 4)))
            (br $t2)))
        (local.set $x (i32.add (local.get $x) (local.get $cb)))
        (local.set $dy (i32.add (local.get $dy) (local.get $cb)))
        (local.set $dx (i32.add (local.get $dx) (local.get $cb)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows))))
)
