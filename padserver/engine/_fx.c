/* Effects kernels for the audio thread: a DJ filter, a three-band isolator EQ, a tempo delay, a reverb.
 *
 * Each works in place on a planar (2, n) float32 block (channel 0's n frames, then channel 1's) and keeps
 * its state in arrays the caller owns and preallocated: nothing here allocates, locks, or calls back into
 * Python. The interpreter is kept (a block takes microseconds; letting it go would let another thread hold
 * the audio thread up). Parameters move towards their
 * targets one sample at a time (a one-pole smoother), so a knob turned fast never steps, and the result
 * does not depend on how the audio is cut into blocks: live and exported, the same samples come out.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define SWEEP_S 0.04 /* the DJ filter's fastest: end to end in 40 ms */
#define XFADE_S 0.01 /* its crossfade with the dry sound, going on and off */
#define GLIDE_MOST 0.1 /* the delay time's fastest change, in frames a frame: echoes bend at most 10 % in pitch */

/* -- a state-variable filter (topology-preserving transform), one sample --------------------------------- */
typedef struct {
    double a1, a2, a3, k;
} Coeffs;

/* a crossfade's share, eased at both ends (smoothstep): no kink where it starts or ends */
static inline double eased(double w) { return w * w * (3.0 - 2.0 * w); }

static inline Coeffs svf_coeffs(double g, double k) {
    Coeffs c;
    c.k = k;
    c.a1 = 1.0 / (1.0 + g * (g + k));
    c.a2 = g * c.a1;
    c.a3 = g * c.a2;
    return c;
}

/* returns the low-pass output; *band gets the band-pass one */
static inline double svf_tick(double *ic, const Coeffs *c, double x, double *band) {
    double v3 = x - ic[1];
    double v1 = c->a1 * ic[0] + c->a2 * v3;
    double v2 = ic[1] + c->a2 * ic[0] + c->a3 * v3;
    ic[0] = 2.0 * v1 - ic[0];
    ic[1] = 2.0 * v2 - ic[1];
    *band = v1;
    return v2;
}

/* -- both channels at once ------------------------------------------------------------------------------------
 * Where the compiler has vector types (GCC, Clang: SSE2 on x86-64, NEON on ARM), the settled paths run the
 * left and right channels in the two lanes of one register: the same operations on each lane, so the same
 * samples as the one-channel code, bit for bit, in about half the instructions. */
#if defined(__GNUC__) && (defined(__SSE2__) || defined(__ARM_NEON) || defined(__aarch64__))
#define PAIRS 1
typedef double pair __attribute__((vector_size(16)));

static inline pair svf_pair(pair *ic0, pair *ic1, const Coeffs *c, pair x, pair *band) {
    pair v3 = x - *ic1;
    pair v1 = c->a1 * *ic0 + c->a2 * v3;
    pair v2 = *ic1 + c->a2 * *ic0 + c->a3 * v3;
    *ic0 = 2.0 * v1 - *ic0;
    *ic1 = 2.0 * v2 - *ic1;
    *band = v1;
    return v2;
}

/* the DJ filter's settled path (see filter_run): both sections, both channels */
static void filter_settled_pairs(float *x, Py_ssize_t n, double *s, const Coeffs *lo, const Coeffs *hi) {
    float *left = x, *right = x + n;
    pair a0 = {s[0], s[2]}, a1 = {s[1], s[3]}, b0 = {s[8], s[10]}, b1 = {s[9], s[11]};
    for (Py_ssize_t i = 0; i < n; i++) {
        pair in = {left[i], right[i]}, band;
        pair low = svf_pair(&a0, &a1, lo, in, &band);
        pair below = svf_pair(&b0, &b1, hi, low, &band);
        pair out = low - hi->k * band - below;
        left[i] = (float)out[0];
        right[i] = (float)out[1];
    }
    s[0] = a0[0], s[2] = a0[1], s[1] = a1[0], s[3] = a1[1];
    s[8] = b0[0], s[10] = b0[1], s[9] = b1[0], s[11] = b1[1];
}
#endif

/* -- the DJ filter -------------------------------------------------------------------------------------------
 * filter_run(x, n, state, position, resonance, rate, smoothing) -> 1 when it filtered, 0 when transparent
 * position -1..1: left a low-pass closing from 20 kHz to 40 Hz, right a high-pass opening from 20 Hz to 10 kHz,
 * on an exponential (musical) scale, with the resonance (0..1) on the one that moves; 0 passes the block
 * untouched. The two filters run in series whenever it is on, so crossing the centre changes nothing abruptly;
 * going on and off it crossfades with the dry sound over XFADE_S. The position moves one sample at a time and
 * never faster than end to end in SWEEP_S.
 * state (float64, 12): low-pass ic1 L, ic2 L, ic1 R, ic2 R, position now, resonance now, wet share now, spare,
 * high-pass ic1 L, ic2 L, ic1 R, ic2 R */
/* the DJ filter's two sections for knob position p and resonance r */
static void filter_coeffs(double p, double r, double rate, Coeffs *lo, Coeffs *hi) {
    double k_res = 2.0 - 1.9 * (r < 0.0 ? 0.0 : (r > 1.0 ? 1.0 : r)); /* 2 (Q 0.5) .. 0.1 (Q 10) */
    /* (the moving filter's resonance grows in over the first tenth of the knob: at the centre both are
     * Butterworth, so crossing it changes no coefficient abruptly) */
    double near = fabs(p) / 0.1;
    k_res = 1.41421356 + (k_res - 1.41421356) * (near > 1.0 ? 1.0 : near);
    double nyquist = 0.49 * rate;
    double lo_fc = p < 0.0 ? 20000.0 * pow(40.0 / 20000.0, -p) : 20000.0;
    double hi_fc = p > 0.0 ? 20.0 * pow(10000.0 / 20.0, p) : 20.0;
    *lo = svf_coeffs(tan(M_PI * (lo_fc > nyquist ? nyquist : lo_fc) / rate), p < 0.0 ? k_res : 1.41421356);
    *hi = svf_coeffs(tan(M_PI * hi_fc / rate), p > 0.0 ? k_res : 1.41421356);
}

static int filter_run(float *x, Py_ssize_t n, double *s, double target, double res_target, double rate,
                      double smooth) {
    int filtered = 0;
    double p = s[4], r = s[5], wet = s[6];
    if (p == target && r == res_target && wet == 1.0 && target != 0.0) { /* settled: the knobs still, fully on */
        Coeffs lo, hi;
        filter_coeffs(p, r, rate, &lo, &hi);
#ifdef PAIRS
        filter_settled_pairs(x, n, s, &lo, &hi);
        return 1;
#endif
        for (int c = 0; c < 2; c++) {
            float *row = x + c * n;
            double *a = s + 2 * c, *b = s + 8 + 2 * c;
            for (Py_ssize_t i = 0; i < n; i++) {
                double band, low = svf_tick(a, &lo, row[i], &band);
                double below = svf_tick(b, &hi, low, &band);
                row[i] = (float)(low - hi.k * band - below);
            }
        }
        return 1;
    }
    double most = 2.0 / (SWEEP_S * rate);
    double fade = 1.0 / (XFADE_S * rate);
    if (!(p == 0.0 && target == 0.0 && wet == 0.0)) {
        filtered = 1;
        float *left = x, *right = x + n;
        Coeffs lo, hi;
        double made_p = NAN, made_r = NAN; /* (the coefficients are made again only when the knobs moved) */
        for (Py_ssize_t i = 0; i < n; i++) {
            if (wet == 0.0) { /* coming on: both filters start settled on the input */
                s[0] = s[2] = s[8] = s[9] = s[10] = s[11] = 0.0;
                s[1] = left[i];
                s[3] = right[i];
            }
            double step = smooth * (target - p);
            p += step > most ? most : (step < -most ? -most : step);
            if (fabs(p - target) < 1e-7) p = target;
            r += smooth * (res_target - r);
            if (fabs(r - res_target) < 1e-7) r = res_target;
            int off = p == 0.0 && target == 0.0;
            wet += off ? -fade : fade;
            wet = wet < 0.0 ? 0.0 : (wet > 1.0 ? 1.0 : wet);
            if (p != made_p || r != made_r) {
                filter_coeffs(p, r, rate, &lo, &hi);
                made_p = p;
                made_r = r;
            }
            for (int c = 0; c < 2; c++) {
                float *row = c == 0 ? left : right;
                double in = row[i], band;
                double low = svf_tick(s + 2 * c, &lo, in, &band);
                double below = svf_tick(s + 8 + 2 * c, &hi, low, &band);
                double high = low - hi.k * band - below;
                row[i] = (float)(in + eased(wet) * (high - in));
            }
        }
    }
    s[4] = p;
    s[5] = r;
    s[6] = wet;
    return filtered;
}

/* -- the isolator EQ -----------------------------------------------------------------------------------------
 * eq_run(x, n, state, low, mid, high, rate, smoothing) -> 1 when it ran, 0 when it passed the block untouched
 * Three bands split at 250 Hz and 2.5 kHz by Linkwitz–Riley crossovers (24 dB/octave: two Butterworth sections
 * each way), so a band at gain 0 is gone and the bands at 1 add up flat in level. Gains are linear and move one
 * sample at a time; going on and off (all gains back at 1) it crossfades with the dry sound over XFADE_S, and
 * off it passes the block untouched.
 * state (float64, 32): per channel six sections × 2 (low split, its low-pass, its high-pass; the same at
 * 2.5 kHz on what lies above 250 Hz), then gains now (3), wet share now */
static int eq_run(float *x, Py_ssize_t n, double *s, double tl, double tm, double th, double rate, double smooth) {
    double *g = s + 24;
    double wet = s[27];
    int ran = 0;
    int flat_targets = tl == 1.0 && tm == 1.0 && th == 1.0;
    if (!(flat_targets && wet == 0.0)) {
        ran = 1;
        double fade = 1.0 / (XFADE_S * rate);
        Coeffs lo = svf_coeffs(tan(M_PI * 250.0 / rate), 1.41421356);
        Coeffs hi = svf_coeffs(tan(M_PI * 2500.0 / rate), 1.41421356);
        for (Py_ssize_t i = 0; i < n; i++) {
            if (wet == 0.0) /* coming on: the sections start settled (everything in the low band) */
                for (int c = 0; c < 2; c++) {
                    double *st = s + c * 12;
                    for (int k = 0; k < 12; k++) st[k] = 0.0;
                    st[1] = st[3] = x[c * n + i];
                }
            g[0] += smooth * (tl - g[0]);
            g[1] += smooth * (tm - g[1]);
            g[2] += smooth * (th - g[2]);
            for (int k = 0; k < 3; k++)
                if (fabs(g[k] - (k == 0 ? tl : k == 1 ? tm : th)) < 1e-7) g[k] = k == 0 ? tl : k == 1 ? tm : th;
            int flat = flat_targets && g[0] == 1.0 && g[1] == 1.0 && g[2] == 1.0;
            wet += flat ? -fade : fade;
            wet = wet < 0.0 ? 0.0 : (wet > 1.0 ? 1.0 : wet);
            for (int c = 0; c < 2; c++) {
                double *st = s + c * 12, band;
                double in = x[c * n + i];
                double lp = svf_tick(st, &lo, in, &band);
                double hp = in - lo.k * band - lp;
                double low = svf_tick(st + 2, &lo, lp, &band);
                double rest = svf_tick(st + 4, &lo, hp, &band);
                rest = hp - lo.k * band - rest;
                double lp2 = svf_tick(st + 6, &hi, rest, &band);
                double hp2 = rest - hi.k * band - lp2;
                double mid = svf_tick(st + 8, &hi, lp2, &band);
                double high = svf_tick(st + 10, &hi, hp2, &band);
                high = hp2 - hi.k * band - high;
                double eq = g[0] * low + g[1] * mid + g[2] * high;
                x[c * n + i] = (float)(in + eased(wet) * (eq - in));
            }
            if (wet == 0.0 && flat) break; /* (off again: the rest of the block passes untouched) */
        }
    }
    s[27] = wet;
    return ran;
}

/* -- the delay -----------------------------------------------------------------------------------------------
 * delay_run(x, n, line, length, state, frames, feedback, level, glide, smoothing) -> the peak of what it added
 * line: float32 (2, length) ring. The echo is read ``frames`` (fractional) behind the write point, linearly
 * interpolated; the time glides to a new value with ``glide`` (a tape's slide, no click); out = in + level·echo,
 * and in + feedback·echo goes into the line. state (float64, 8): write index, frames now, feedback now,
 * level now, spare. A block of silence in, with an empty line, costs a test and nothing more. */
static double delay_run(float *x, Py_ssize_t n, float *ring, Py_ssize_t length, double *s, double frames, double fb_t,
                        double level_t, double glide, double smooth) {
    /* s[5]: frames the line may still hold sound for (set from its delay when a loud sample goes in): while
     * above 0 the delay rings, even in a block where no echo happens to come out */
    double peak = 0.0;
    int loud = 0;
    Py_ssize_t w = (Py_ssize_t)s[0];
    double d = s[1] > 0.0 ? s[1] : frames, fb = s[2], level = s[3];
    double most = (double)(length - 2);
    double held = frames < 1.0 ? 1.0 : (frames > most ? most : frames);
    if (d == frames && fb == fb_t && level == level_t) { /* settled: a fixed time, feedback and level */
        Py_ssize_t whole = (Py_ssize_t)held;
        double frac = held - (double)whole; /* (read at w - held: between w - whole - 1 and w - whole) */
        double loudest = 0.0;
        /* in runs over which neither the write point nor the two read points wrap round the ring */
        for (Py_ssize_t i = 0; i < n;) {
            Py_ssize_t j1 = w - whole, j0 = j1 - 1;
            if (j1 < 0) j1 += length;
            if (j0 < 0) j0 += length;
            Py_ssize_t run = n - i;
            if (length - w < run) run = length - w;
            if (length - j1 < run) run = length - j1;
            if (length - j0 < run) run = length - j0;
            for (int c = 0; c < 2; c++) { /* (the channels' lines are apart: each runs on its own) */
                float *row = ring + c * length, *xc = x + c * n + i;
                const float *a = row + j1, *b = row + j0;
                float *into = row + w;
                for (Py_ssize_t k = 0; k < run; k++) {
                    double echo = a[k] + frac * (b[k] - a[k]);
                    double in = xc[k];
                    double fed = in + fb * echo;
                    into[k] = (float)(fed > 4.0 ? 4.0 : (fed < -4.0 ? -4.0 : fed));
                    double af = fabs(fed), aa;
                    loudest = af > loudest ? af : loudest; /* (not fmax: a library call where NaN is kept) */
                    double added = level * echo;
                    xc[k] = (float)(in + added);
                    aa = fabs(added);
                    peak = aa > peak ? aa : peak;
                }
            }
            i += run;
            w += run;
            if (w == length) w = 0;
        }
        loud = loudest > 1e-5;
        s[0] = (double)w;
        s[5] = loud ? held + (double)n : (s[5] > (double)n ? s[5] - (double)n : 0.0);
        return peak;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        double slide = glide * (frames - d); /* (a tape's slide: never more than GLIDE_MOST in pitch) */
        d += slide > GLIDE_MOST ? GLIDE_MOST : (slide < -GLIDE_MOST ? -GLIDE_MOST : slide);
        if (fabs(d - frames) < 1e-9) d = frames;
        fb += smooth * (fb_t - fb);
        if (fabs(fb - fb_t) < 1e-9) fb = fb_t; /* (settled: the next blocks take the settled path) */
        level += smooth * (level_t - level);
        if (fabs(level - level_t) < 1e-9) level = level_t;
        double at = d < 1.0 ? 1.0 : (d > most ? most : d);
        double back = (double)w - at;
        while (back < 0.0) back += (double)length;
        Py_ssize_t j = (Py_ssize_t)back;
        double frac = back - (double)j;
        Py_ssize_t j1 = j + 1 == length ? 0 : j + 1;
        for (int c = 0; c < 2; c++) {
            float *row = ring + c * length;
            double echo = row[j] + frac * (row[j1] - row[j]);
            double in = x[c * n + i];
            double fed = in + fb * echo;
            if (fed > 4.0) fed = 4.0; /* (a feedback of 1 rings on, never runs away) */
            if (fed < -4.0) fed = -4.0;
            row[w] = (float)fed;
            if (fabs(fed) > 1e-5) loud = 1;
            double added = level * echo;
            x[c * n + i] = (float)(in + added);
            double a = fabs(added);
            if (a > peak) peak = a;
        }
        w = w + 1 == length ? 0 : w + 1;
    }
    s[0] = (double)w;
    s[5] = loud ? most + (double)n : (s[5] > (double)n ? s[5] - (double)n : 0.0);
    s[1] = d;
    s[2] = fb;
    s[3] = level;
    return peak;
}

/* -- a whole chain in one call -------------------------------------------------------------------------------
 * One chain over the (2, n) block ``x``: each effect runs only when it is on or still fading out, then the
 * block's send goes to the reverb's ``bus`` (when there is one) at the pad's fader and pan ``gl``, ``gr`` (the
 * send is after the fader). t: the 9 targets (filter, resonance, low, mid, high, beats, feedback, echo, send,
 * as engine.effects); f, e, d: the filter's, the EQ's and the delay's state; line: the delay's (2, length)
 * ring, or NULL before it has one. Returns the delay's peak, or -1 when the chain has nothing more to do. */
static double chain_run(float *x, Py_ssize_t n, const double *t, double *f, double *e, double *d, float *line,
                        Py_ssize_t length, double rate, double smooth, double glide, double beat, float *bus,
                        double gl, double gr) {
    double peak = 0.0;
    if (t[0] != 0.0 || f[6] != 0.0) filter_run(x, n, f, t[0], t[1], rate, smooth);
    if (t[2] != 1.0 || t[3] != 1.0 || t[4] != 1.0 || e[27] != 0.0) eq_run(x, n, e, t[2], t[3], t[4], rate, smooth);
    int delayed = line != NULL && length >= 4 && (t[7] != 0.0 || d[5] > 0.0 || d[3] != 0.0);
    if (delayed) {
        peak = delay_run(x, n, line, length, d, t[5] * beat, t[6], t[7], glide, smooth);
        d[4] = peak;
        if (t[7] == 0.0 && fabs(d[3]) < 1e-6) d[3] = 0.0;
        if (peak == 0.0 && d[5] > 0.0 && d[3] != 0.0) peak = 1e-9; /* (between echoes: still ringing) */
    }
    if (t[8] != 0.0 && bus != NULL) {
        float sl = (float)(t[8] * gl), sr = (float)(t[8] * gr);
        for (Py_ssize_t i = 0; i < n; i++) {
            bus[i] += sl * x[i];
            bus[n + i] += sr * x[n + i];
        }
    }
    int busy = t[0] != 0.0 || f[6] != 0.0 || t[2] != 1.0 || t[3] != 1.0 || t[4] != 1.0 || e[27] != 0.0 ||
               (line != NULL && length >= 4 && (t[7] != 0.0 || d[5] > 0.0 || d[3] != 0.0)) || t[8] != 0.0;
    return busy ? peak : -1.0;
}

#define TARGETS 9
#define FILTER_STATE 12
#define EQ_STATE 32
#define DELAY_STATE 8

/* chain(block, n, targets, filter_state, eq_state, delay_state, line, rate, smooth, glide, frames_per_beat,
 *       bus, left_gain, right_gain) -> the delay's peak, or -1 when the chain has nothing more to do (all off)
 * line: the delay's (2, length) float32 ring, or an empty array before it has one; bus: a (2, n) float32
 * block, or empty (no send). */
static PyObject *chain(PyObject *self, PyObject *args) {
    Py_buffer block, targets, fs, es, ds, line, bus;
    Py_ssize_t n;
    double rate, smooth, glide, beat, gain_l, gain_r;
    if (!PyArg_ParseTuple(args, "w*nw*w*w*w*w*ddddw*dd", &block, &n, &targets, &fs, &es, &ds, &line, &rate, &smooth,
                          &glide, &beat, &bus, &gain_l, &gain_r))
        return NULL;
    double peak = -1.0;
    int ok = (Py_ssize_t)block.len >= (Py_ssize_t)(2 * n * sizeof(float)) &&
             targets.len >= (Py_ssize_t)(TARGETS * sizeof(double)) &&
             fs.len >= (Py_ssize_t)(FILTER_STATE * sizeof(double)) && es.len >= (Py_ssize_t)(EQ_STATE * sizeof(double)) &&
             ds.len >= (Py_ssize_t)(DELAY_STATE * sizeof(double));
    if (ok) {
        Py_ssize_t length = (Py_ssize_t)(line.len / (2 * sizeof(float)));
        float *b = (Py_ssize_t)bus.len >= (Py_ssize_t)(2 * n * sizeof(float)) ? (float *)bus.buf : NULL;
        peak = chain_run((float *)block.buf, n, (double *)targets.buf, (double *)fs.buf, (double *)es.buf,
                         (double *)ds.buf, length >= 4 ? (float *)line.buf : NULL, length, rate, smooth, glide, beat,
                         b, gain_l, gain_r);
    }
    PyBuffer_Release(&block);
    PyBuffer_Release(&targets);
    PyBuffer_Release(&fs);
    PyBuffer_Release(&es);
    PyBuffer_Release(&ds);
    PyBuffer_Release(&line);
    PyBuffer_Release(&bus);
    if (!ok) return PyErr_Format(PyExc_ValueError, "chain: the block or a state is too small");
    return PyFloat_FromDouble(peak);
}

/* -- every pad's chain in one call ---------------------------------------------------------------------------
 * chains(rows, n, count, sounding, targets, filter_state, eq_state, delay_state, lines, rate, smooth, glide,
 *        frames_per_beat, bus, gains, peaks) -> a bit mask of the chains left ringing (peak > 0)
 * rows: the mixer's pad rows, ``count`` planar (2, n) blocks one after another; sounding: a bit mask of the
 * rows that hold sound this block. A chain runs when it is busy (its ``peaks`` entry >= 0: set by a command,
 * or by its last block) and its row sounds or its delay has a line (a silent pad's echoes ring on into its
 * row). targets, filter_state, eq_state, delay_state: (count, 9 | 12 | 32 | 8) float64; lines: (count, 2)
 * int64, each delay's ring's address and frames (0: none yet; the arrays are kept alive by their chains, see
 * engine.dsp.point_row); gains: (count, 2) float32, each pad's fader and pan now (for its send); peaks: (count,) float64,
 * each chain's result (as `chain`'s). One call instead of one a pad: the interpreter's cost is paid once. */
static PyObject *chains(PyObject *self, PyObject *args) {
    Py_buffer rows, targets, fs, es, ds, lines, bus, gains, peaks;
    Py_ssize_t n, count;
    unsigned long long sounding;
    double rate, smooth, glide, beat;
    if (!PyArg_ParseTuple(args, "w*nnKw*w*w*w*w*ddddw*w*w*", &rows, &n, &count, &sounding, &targets, &fs, &es, &ds,
                          &lines, &rate, &smooth, &glide, &beat, &bus, &gains, &peaks))
        return NULL;
    Py_ssize_t c = count;
    int ok = c >= 0 && c <= 64 && n >= 0 && (Py_ssize_t)rows.len >= (Py_ssize_t)(c * 2 * n * sizeof(float)) &&
             targets.len >= (Py_ssize_t)(c * TARGETS * sizeof(double)) &&
             fs.len >= (Py_ssize_t)(c * FILTER_STATE * sizeof(double)) &&
             es.len >= (Py_ssize_t)(c * EQ_STATE * sizeof(double)) &&
             ds.len >= (Py_ssize_t)(c * DELAY_STATE * sizeof(double)) &&
             lines.len >= (Py_ssize_t)(c * 2 * sizeof(long long)) && gains.len >= (Py_ssize_t)(c * 2 * sizeof(float)) &&
             peaks.len >= (Py_ssize_t)(c * sizeof(double));
    unsigned long long ringing = 0;
    if (ok) {
        float *x = (float *)rows.buf, *g = (float *)gains.buf;
        float *b = (Py_ssize_t)bus.len >= (Py_ssize_t)(2 * n * sizeof(float)) ? (float *)bus.buf : NULL;
        const long long *table = (const long long *)lines.buf;
        double *p = (double *)peaks.buf;
        for (Py_ssize_t i = 0; i < c; i++) {
            if (!(p[i] >= 0.0)) continue; /* all off and settled */
            long long length = table[2 * i + 1];
            float *line = length >= 4 ? (float *)(uintptr_t)table[2 * i] : NULL;
            if (!((sounding >> i) & 1ULL) && line == NULL) continue;
            p[i] = chain_run(x + i * 2 * n, n, (double *)targets.buf + i * TARGETS,
                             (double *)fs.buf + i * FILTER_STATE, (double *)es.buf + i * EQ_STATE,
                             (double *)ds.buf + i * DELAY_STATE, line, (Py_ssize_t)length, rate, smooth, glide, beat,
                             b, g[2 * i], g[2 * i + 1]);
            if (p[i] > 0.0) ringing |= 1ULL << i;
        }
    }
    PyBuffer_Release(&rows);
    PyBuffer_Release(&targets);
    PyBuffer_Release(&fs);
    PyBuffer_Release(&es);
    PyBuffer_Release(&ds);
    PyBuffer_Release(&lines);
    PyBuffer_Release(&bus);
    PyBuffer_Release(&gains);
    PyBuffer_Release(&peaks);
    if (!ok) return PyErr_Format(PyExc_ValueError, "chains: the rows, a state or a table is too small");
    return PyLong_FromUnsignedLongLong(ringing);
}

/* -- the reverb ----------------------------------------------------------------------------------------------
 * reverb(block, n, lines, state, size, damping, level, smoothing, rate) -> the peak of its output
 * A Schroeder–Moorer reverb (eight damped combs in parallel, four all-passes in series, per channel; the right
 * channel's lines a little longer, for width), fed the (2, n) block and writing its wet sound over it.
 * lines: float32, laid out by `reverb_layout`; state (float64, 64): each line's index, each comb's damping
 * memory, level now. */
static const int COMBS[8] = {1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617};
static const int PASSES[4] = {556, 441, 341, 225};
#define SPREAD 23

static Py_ssize_t reverb_length(double rate, int line, int channel) {
    int base = line < 8 ? COMBS[line] : PASSES[line - 8];
    return (Py_ssize_t)((base + channel * SPREAD) * rate / 44100.0) + 1;
}

static PyObject *reverb_layout(PyObject *self, PyObject *args) {
    double rate;
    if (!PyArg_ParseTuple(args, "d", &rate)) return NULL;
    Py_ssize_t total = 0;
    for (int c = 0; c < 2; c++)
        for (int k = 0; k < 12; k++) total += reverb_length(rate, k, c);
    return PyLong_FromSsize_t(total);
}

static PyObject *reverb(PyObject *self, PyObject *args) {
    Py_buffer block, lines, state;
    Py_ssize_t n;
    double size, damp, level_t, smooth, rate;
    if (!PyArg_ParseTuple(args, "w*nw*w*ddddd", &block, &n, &lines, &state, &size, &damp, &level_t, &smooth, &rate))
        return NULL;
    Py_ssize_t need = 0;
    for (int c = 0; c < 2; c++)
        for (int k = 0; k < 12; k++) need += reverb_length(rate, k, c);
    if ((Py_ssize_t)block.len < (Py_ssize_t)(2 * n * sizeof(float)) ||
        lines.len < (Py_ssize_t)(need * sizeof(float)) || state.len < (Py_ssize_t)(64 * sizeof(double))) {
        PyBuffer_Release(&block);
        PyBuffer_Release(&lines);
        PyBuffer_Release(&state);
        PyErr_SetString(PyExc_ValueError, "reverb: the block, the lines or the state is too small");
        return NULL;
    }
    float *x = (float *)block.buf;
    float *all = (float *)lines.buf;
    double *s = (double *)state.buf;
    double peak = 0.0;
    float *start[2][12];
    Py_ssize_t len[2][12];
    float *at = all;
    for (int c = 0; c < 2; c++)
        for (int k = 0; k < 12; k++) {
            len[c][k] = reverb_length(rate, k, c);
            start[c][k] = at;
            at += len[c][k];
        }
    double feedback = 0.7 + 0.28 * size, level = s[60];
    Py_ssize_t idx[2][12]; /* (the lines' positions and the combs' memories are kept in locals over the block) */
    double mem[2][8];
    for (int c = 0; c < 2; c++) {
        for (int k = 0; k < 12; k++) {
            idx[c][k] = (Py_ssize_t)s[c * 12 + k];
            if (idx[c][k] < 0 || idx[c][k] >= len[c][k]) idx[c][k] = 0;
        }
        for (int k = 0; k < 8; k++) mem[c][k] = s[24 + c * 8 + k];
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        level += smooth * (level_t - level);
        double in = 0.015 * (x[i] + x[n + i]);
        for (int c = 0; c < 2; c++) {
            double out = 0.0;
            for (int k = 0; k < 8; k++) {
                float *row = start[c][k];
                Py_ssize_t j = idx[c][k];
                double y = row[j];
                mem[c][k] = y * (1.0 - damp) + mem[c][k] * damp;
                row[j] = (float)(in + mem[c][k] * feedback);
                idx[c][k] = j + 1 == len[c][k] ? 0 : j + 1;
                out += y;
            }
            for (int k = 8; k < 12; k++) {
                float *row = start[c][k];
                Py_ssize_t j = idx[c][k];
                double b = row[j];
                row[j] = (float)(out + b * 0.5);
                out = b - out;
                idx[c][k] = j + 1 == len[c][k] ? 0 : j + 1;
            }
            double wet = level * out;
            x[c * n + i] = (float)wet;
            if (fabs(wet) > peak) peak = fabs(wet);
        }
    }
    for (int c = 0; c < 2; c++) {
        for (int k = 0; k < 12; k++) s[c * 12 + k] = (double)idx[c][k];
        for (int k = 0; k < 8; k++) s[24 + c * 8 + k] = mem[c][k];
    }
    s[60] = level;
    PyBuffer_Release(&block);
    PyBuffer_Release(&lines);
    PyBuffer_Release(&state);
    return PyFloat_FromDouble(peak);
}

static PyMethodDef METHODS[] = {
    {"chain", chain, METH_VARARGS, "A pad's whole chain (filter, EQ, delay) in one call, in place."},
    {"chains", chains, METH_VARARGS, "Every pad's chain in one call, in place (see the source)."},
    {"reverb", reverb, METH_VARARGS, "The reverb: its wet sound over the block."},
    {"reverb_layout", reverb_layout, METH_VARARGS, "How many float32 the reverb's lines take at a sample rate."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "_fx", "Effects kernels for the audio thread.", -1,
                                    METHODS};

PyMODINIT_FUNC PyInit__fx(void) { return PyModule_Create(&MODULE); }
