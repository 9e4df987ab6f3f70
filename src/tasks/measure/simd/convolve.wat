;; The two 1-d passes of convolve.ts's separable Gaussian smoothing with 128-bit SIMD: four float32 pixels per
;; instruction where V8's JavaScript does one. Only the interior, where every tap exists, is done here: the
;; renormalised borders and rows holding NaN stay in JavaScript (convolve.ts).
;;
;; Memory (laid out by convolve.ts): the kernel's centre and right half, c0 … c_half as float32, from byte 0;
;; everything else at byte offsets passed in. Sums are float32, so results differ from the float64 JavaScript
;; path by a few units in the last place of a float32.
(module
  (memory (export "memory") 1)

  ;; out[i] = c0·in[i] + Σ_{j=1..half} cj·(in[i−j] + in[i+j]) for i in [half, n − half), on float32 rows at byte
  ;; offsets $in and $out. Returns 1 when an output is NaN (a NaN input within reach), else 0.
  (func (export "row") (param $in i32) (param $out i32) (param $n i32) (param $half i32) (result i32)
    (local $i i32) (local $end i32) (local $j i32) (local $p i32) (local $q i32)
    (local $acc v128) (local $nan v128) (local $s f32) (local $nanScalar i32)
    (local.set $end (i32.sub (local.get $n) (local.get $half)))
    (local.set $i (local.get $half))
    (block $vectorDone
      (loop $vector
        (br_if $vectorDone (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $end)))
        (local.set $p (i32.add (local.get $in) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $acc (f32x4.mul (v128.load32_splat (i32.const 0)) (v128.load (local.get $p))))
        (local.set $j (i32.const 1))
        (block $tapsDone
          (loop $taps
            (br_if $tapsDone (i32.gt_s (local.get $j) (local.get $half)))
            (local.set $q (i32.shl (local.get $j) (i32.const 2)))
            (local.set $acc
              (f32x4.add
                (local.get $acc)
                (f32x4.mul
                  (v128.load32_splat (local.get $q))
                  (f32x4.add
                    (v128.load (i32.sub (local.get $p) (local.get $q)))
                    (v128.load (i32.add (local.get $p) (local.get $q)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $taps)))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (local.get $acc))
        (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $acc) (local.get $acc))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vector)))
    ;; The last few outputs one at a time.
    (block $scalarDone
      (loop $scalar
        (br_if $scalarDone (i32.ge_s (local.get $i) (local.get $end)))
        (local.set $p (i32.add (local.get $in) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $s (f32.mul (f32.load (i32.const 0)) (f32.load (local.get $p))))
        (local.set $j (i32.const 1))
        (block $tapsDone
          (loop $taps
            (br_if $tapsDone (i32.gt_s (local.get $j) (local.get $half)))
            (local.set $q (i32.shl (local.get $j) (i32.const 2)))
            (local.set $s
              (f32.add
                (local.get $s)
                (f32.mul
                  (f32.load (local.get $q))
                  (f32.add
                    (f32.load (i32.sub (local.get $p) (local.get $q)))
                    (f32.load (i32.add (local.get $p) (local.get $q)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $taps)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (local.get $s))
        (if (f32.ne (local.get $s) (local.get $s)) (then (local.set $nanScalar (i32.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scalar)))
    (i32.or (v128.any_true (local.get $nan)) (local.get $nanScalar)))

  ;; The vertical pass for one output row: out[x] = c0·R0[x] + Σ_{j=1..half} cj·(R−j[x] + Rj[x]) for x in
  ;; [0, width), where Rk is the float32 row whose byte offset is the int32 at $rows + 4·(half + k).
  (func (export "column") (param $rows i32) (param $half i32) (param $out i32) (param $width i32)
    (local $x i32) (local $b i32) (local $j i32) (local $q i32) (local $middle i32)
    (local $acc v128) (local $s f32)
    (local.set $middle (i32.add (local.get $rows) (i32.shl (local.get $half) (i32.const 2))))
    (block $vectorDone
      (loop $vector
        (br_if $vectorDone (i32.gt_s (i32.add (local.get $x) (i32.const 4)) (local.get $width)))
        (local.set $b (i32.shl (local.get $x) (i32.const 2)))
        (local.set $acc
          (f32x4.mul
            (v128.load32_splat (i32.const 0))
            (v128.load (i32.add (i32.load (local.get $middle)) (local.get $b)))))
        (local.set $j (i32.const 1))
        (block $tapsDone
          (loop $taps
            (br_if $tapsDone (i32.gt_s (local.get $j) (local.get $half)))
            (local.set $q (i32.shl (local.get $j) (i32.const 2)))
            (local.set $acc
              (f32x4.add
                (local.get $acc)
                (f32x4.mul
                  (v128.load32_splat (local.get $q))
                  (f32x4.add
                    (v128.load (i32.add (i32.load (i32.sub (local.get $middle) (local.get $q))) (local.get $b)))
                    (v128.load (i32.add (i32.load (i32.add (local.get $middle) (local.get $q))) (local.get $b)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $taps)))
        (v128.store (i32.add (local.get $out) (local.get $b)) (local.get $acc))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (br $vector)))
    (block $scalarDone
      (loop $scalar
        (br_if $scalarDone (i32.ge_s (local.get $x) (local.get $width)))
        (local.set $b (i32.shl (local.get $x) (i32.const 2)))
        (local.set $s
          (f32.mul (f32.load (i32.const 0)) (f32.load (i32.add (i32.load (local.get $middle)) (local.get $b)))))
        (local.set $j (i32.const 1))
        (block $tapsDone
          (loop $taps
            (br_if $tapsDone (i32.gt_s (local.get $j) (local.get $half)))
            (local.set $q (i32.shl (local.get $j) (i32.const 2)))
            (local.set $s
              (f32.add
                (local.get $s)
                (f32.mul
                  (f32.load (local.get $q))
                  (f32.add
                    (f32.load (i32.add (i32.load (i32.sub (local.get $middle) (local.get $q))) (local.get $b)))
                    (f32.load (i32.add (i32.load (i32.add (local.get $middle) (local.get $q))) (local.get $b)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $taps)))
        (f32.store (i32.add (local.get $out) (local.get $b)) (local.get $s))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $scalar)))))
