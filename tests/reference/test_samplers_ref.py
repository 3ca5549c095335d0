"""Self-test of tests/reference/samplers_ref.py, the float64 reference of diffusers' schedulers.

Run: /usr/bin/python3 tests/reference/test_samplers_ref.py  (about two seconds, NumPy only;
exits non-zero if any check fails). Checks:

  (a) diffusers' own numbers: model timesteps, sigmas, init_noise_sigma and final samples that
      diffusers' schedulers (0.40.0.dev0, commit 58eb52c0, torch 1.13) produced, driven the way its
      pipelines drive them, with a smooth analytic model, fixed z and fixed per-call noise, for
      every sampler x spacing x Karras x prediction type, 1 to 61 steps, linear / scaled_linear /
      squaredcos_cap_v2 betas and zero terminal SNR. They were measured once by importing
      diffusers' scheduler sources under /tmp with their plumbing (ConfigMixin, randn_tensor,
      ...) replaced by stubs and `float32` replaced by `float64` in their text, so that the
      comparison is of definitions, not of float32 rounding; that setup is not part of the
      repository. The reference matched them to 4e-15 relative (1.5e-12 for euler_a on
      squaredcos_cap_v2, where diffusers' sigma_down cancels); required here: 1e-10.
  (b) the plan against hand-derived values: spacings (np.round is half-to-even), Heun's
      interleaving, init_noise_sigma, Karras sigmas, sigma_to_t, zero-SNR substitution, the
      trailing spacing's extra -1 step;
  (c) independent of diffusers, with the exact denoiser of Gaussian data (closed form): the
      deterministic samplers converge to the exact probability-flow ODE solution with slope
      -1 (euler, ddim), -2 (heun, dpmpp_2m) and -3 (unipc: UniP-2 + UniC) in log error vs
      log steps; the three prediction types give the same samples; euler == ddim(eta 0) and
      euler_a == ddpm(fixed_small) == ddim(eta 1) on the leading spacing; euler_a and
      dpmpp_2m_sde reproduce the data's mean and standard deviation;
  (d) which model calls draw noise, and the errors for invalid arguments.
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from diffuse_torch import diffusers_schedule as ds  # noqa: E402
import samplers_ref as sr  # noqa: E402

FAILURES = []


def check(ok, what):
    print(f"  {'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        FAILURES.append(what)


def rel_err(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return math.inf
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))


SCHEDULES = {"linear": ("linear", {}), "cosine": ("squaredcos_cap_v2", {}),
             "scaled": ("scaled_linear", dict(beta_start=0.00085, beta_end=0.012))}


def alphas_cumprod(sched, zero_snr=False, T=1000):
    kind, kw = SCHEDULES[sched]
    return ds.schedule(kind, T, zero_snr=zero_snr, **kw)["alpha_bar"]


# ---------------------------------------------------------------------------------------------
# (a) diffusers' numbers


def golden_model(x, t):
    return 0.5 * np.tanh(x) + 0.0005 * t * np.sin(1.3 * x) + 0.05


def golden_z():
    return np.random.default_rng(12345).standard_normal((2, 2))


def golden_noise(k):
    return np.random.default_rng([7, k]).standard_normal((2, 2))


# (sampler, betas, zero SNR, prediction, spacing, karras, steps, {eta | variance},
#  init_noise_sigma, model timesteps or None, sigmas or None, final sample (2 x 2, row-major)).
# Two rows (unipc squaredcos_cap_v2 karras 10; dpmpp_2m / unipc zero-SNR karras 25) are runs
# where diffusers itself fails (its first timestep repeats, so index_for_timestep starts at 1
# and the run walks off the end): there the numbers are diffusers' after set_begin_index(0).
GOLDEN = [
    ("euler", "linear", False, "epsilon", "linspace", False, 5, {}, 157.4072808104,
     [999, 749.25, 499.5, 249.75, 0],
     [157.4072808104, 17.27988742893, 3.433551865785, 0.9567591610471, 0.0100005000375, 0],
     [-87.93069700787, 58.09645007452, -19.84966021758, -0.9057010078689]),
    ("euler", "linear", False, "epsilon", "linspace", True, 5, {}, 157.4072808104,
     [999, 843.3554298256, 592.9947056125, 141.8173258136, 0],
     [157.4072808104, 36.90895160563, 5.911208764768, 0.4913011708242, 0.0100005000375, 0],
     [-113.29362373, 57.0413294242, -20.62579467915, -0.9429342451615]),
    ("euler", "linear", False, "epsilon", "leading", False, 5, {}, 25.75540040864,
     [800, 600, 400, 200, 0],
     [25.73597968233, 6.173505157841, 2.041087002614, 0.7235912594304, 0.0100005000375, 0],
     [-19.97399852491, 11.86568423167, -5.871099996682, -0.6382619014694]),
    ("euler", "linear", False, "epsilon", "leading", True, 5, {}, 25.75540040864,
     [800, 621.4115758588, 330.8368144045, 52.90710814136, 0],
     [25.73597968233, 7.067705295771, 1.446730898701, 0.1854389588831, 0.0100005000375, 0],
     [-20.25248150467, 12.07216033501, -5.700046975028, -0.6568458359725]),
    ("euler", "linear", False, "epsilon", "trailing", False, 5, {}, 157.4072808104,
     [999, 799, 599, 399, 199],
     [157.4072808104, 25.5284813892, 6.135208879029, 2.030851234838, 0.7192788171501, 0],
     [-102.3919293731, 59.06098332024, -21.18327656657, -0.8326525634911]),
    ("euler", "linear", False, "epsilon", "trailing", True, 5, {}, 157.4072808104,
     [999, 893.6077738278, 752.0450194392, 538.41566864, 199],
     [157.4072808104, 57.39578860682, 17.65143741561, 4.271557835004, 0.7192788171501, 0],
     [-106.2132810079, 62.28681951446, -19.03402333395, -0.8251257717495]),
    ("euler", "cosine", False, "v_prediction", "linspace", False, 3, {}, 20291.16961002,
     [999, 499.5, 0],
     [20291.16961002, 1.013970057234, 0.006425412771142, 0],
     [-0.09573998001909, -0.00725849181479, -0.04692985655781, -0.03738735298175]),
    ("euler", "scaled", False, "v_prediction", "trailing", True, 10, {}, 14.61464122933,
     None,
     None,
     [-0.521323150692, 0.3347866499225, -0.2813600747495, -0.107982369065]),
    ("euler", "cosine", False, "sample", "linspace", False, 3, {}, 20291.16961002,
     [999, 499.5, 0],
     [20291.16961002, 1.013970057234, 0.006425412771142, 0],
     [-0.2314478838469, 0.3645198422002, -0.223521240165, -0.06438031574481]),
    ("euler", "scaled", False, "sample", "trailing", True, 10, {}, 14.61464122933,
     None,
     None,
     [-0.3755331623433, 0.4849437729278, -0.3088143980937, -0.08564882724847]),
    ("euler", "linear", False, "epsilon", "trailing", False, 1, {}, 157.4072808104,
     [999],
     [157.4072808104, 0],
     [-86.35409244878, 45.56662949291, -18.52154702713, -2.721536348201]),
    ("euler", "linear", False, "epsilon", "trailing", False, 2, {}, 157.4072808104,
     [999, 499],
     [157.4072808104, 3.424136619044, 0],
     [-87.03149276555, 47.75073406477, -18.71627335366, -1.598878925884]),
    ("euler", "linear", False, "epsilon", "linspace", False, 25, {}, 157.4072808104,
     None,
     None,
     [-121.3426710762, 67.65427706435, -20.92111072974, -0.6853381124985]),
    ("euler", "scaled", True, "v_prediction", "trailing", False, 5, {}, 4095.99987793,
     [999, 799, 599, 399, 199],
     [4095.99987793, 7.410702856719, 2.604854766903, 1.241374867355, 0.5947514842194, 0],
     [-0.3787844311434, 0.2166332718971, -0.2015275696049, -0.08465390888157]),
    ("euler", "scaled", True, "v_prediction", "trailing", True, 5, {}, 4095.99987793,
     [999, 996.778692565, 986.9903931881, 900.4831011988, 199],
     [4095.99987793, 1027.520603764, 183.0710969176, 18.46100243725, 0.5947514842194, 0],
     [-0.06693287722007, -0.07351630630185, 0.03293141229575, -0.00448112254235]),
    ("euler", "linear", True, "v_prediction", "linspace", False, 10, {}, 4095.99987793,
     None,
     None,
     [-0.5018169844307, 0.3164370604648, -0.2722537059458, -0.1062845682173]),
    ("euler", "linear", False, "epsilon", "trailing", False, 61, {}, 157.4072808104,
     None,
     None,
     [-125.5693253907, 70.66170683808, -21.10620337565, -0.6698863155608]),
    ("euler_a", "linear", False, "epsilon", "linspace", False, 5, {}, 157.4072808104,
     [999, 749.25, 499.5, 249.75, 0],
     [157.4072808104, 17.27988742893, 3.433551865785, 0.9567591610471, 0.0100005000375, 0],
     [-75.13304086513, 36.64707901466, -13.26333161865, -6.558333779886]),
    ("euler_a", "linear", False, "epsilon", "leading", False, 5, {}, 25.75540040864,
     [800, 600, 400, 200, 0],
     [25.73597968233, 6.173505157841, 2.041087002614, 0.7235912594304, 0.0100005000375, 0],
     [-14.02590383157, 3.2422146565, -4.57684596367, -3.011130952221]),
    ("euler_a", "linear", False, "epsilon", "trailing", False, 5, {}, 157.4072808104,
     [999, 799, 599, 399, 199],
     [157.4072808104, 25.5284813892, 6.135208879029, 2.030851234838, 0.7192788171501, 0],
     [-85.20643643528, 23.04812244745, -9.470515505766, -8.412553234661]),
    ("euler_a", "cosine", False, "v_prediction", "linspace", False, 3, {}, 20291.16961002,
     [999, 499.5, 0],
     [20291.16961002, 1.013970057234, 0.006425412771142, 0],
     [0.07558338714215, -0.1228778167194, 0.006863752586829, -0.1107044063014]),
    ("euler_a", "scaled", False, "v_prediction", "trailing", False, 10, {}, 14.61464122933,
     None,
     None,
     [0.2960583595469, 0.07599555063712, 0.02504155300217, -0.1752387538799]),
    ("euler_a", "linear", False, "epsilon", "trailing", False, 1, {}, 157.4072808104,
     [999],
     [157.4072808104, 0],
     [-86.35409244878, 45.56662949291, -18.52154702713, -2.721536348201]),
    ("euler_a", "linear", False, "epsilon", "trailing", False, 2, {}, 157.4072808104,
     [999, 499],
     [157.4072808104, 3.424136619044, 0],
     [-84.80874974932, 45.60118095242, -17.34535524217, -3.642524255624]),
    ("euler_a", "linear", False, "epsilon", "linspace", False, 25, {}, 157.4072808104,
     None,
     None,
     [0.335965390355, -9.862184218737, -7.760438492902, -21.86170327698]),
    ("euler_a", "scaled", True, "v_prediction", "trailing", False, 5, {}, 4095.99987793,
     [999, 799, 599, 399, 199],
     [4095.99987793, 7.410702856719, 2.604854766903, 1.241374867355, 0.5947514842194, 0],
     [-0.4475247097757, -0.3655540494742, 0.1136434561027, -0.2685864581229]),
    ("euler_a", "linear", True, "v_prediction", "linspace", False, 10, {}, 4095.99987793,
     None,
     None,
     [0.2410039494856, 0.2771116358296, -0.1221740343599, -0.2880943196018]),
    ("euler_a", "linear", False, "epsilon", "trailing", False, 61, {}, 157.4072808104,
     None,
     None,
     [5.416338738797, -37.79280449726, -35.29170187092, -8.662346962652]),
    ("heun", "linear", False, "epsilon", "linspace", False, 5, {}, 157.4072808104,
     [999, 749.25, 749.25, 499.5, 499.5, 249.75, 249.75, 0, 0],
     [157.4072808104, 17.27988742893, 17.27988742893, 3.433551865785, 3.433551865785, 0.9567591610471, 0.9567591610471, 0.0100005000375, 0.0100005000375, 0],
     [-94.85591410072, 105.7469702271, -28.91806511833, -0.04096679117798]),
    ("heun", "linear", False, "epsilon", "linspace", True, 5, {}, 157.4072808104,
     [999, 843.3554298256, 843.3554298256, 592.9947056125, 592.9947056125, 141.8173258136, 141.8173258136, 0, 0],
     [157.4072808104, 36.90895160563, 36.90895160563, 5.911208764768, 5.911208764768, 0.4913011708242, 0.4913011708242, 0.0100005000375, 0.0100005000375, 0],
     [-150.1939208182, 81.318894761, -26.16060417033, -0.1856103779028]),
    ("heun", "linear", False, "epsilon", "leading", False, 5, {}, 25.75540040864,
     [800, 600, 600, 400, 400, 200, 200, 0, 0],
     [25.73597968233, 6.173505157841, 6.173505157841, 2.041087002614, 2.041087002614, 0.7235912594304, 0.7235912594304, 0.0100005000375, 0.0100005000375, 0],
     [-24.58942851167, 16.29871844627, -6.286088964522, -0.4114602813959]),
    ("heun", "linear", False, "epsilon", "leading", True, 5, {}, 25.75540040864,
     [800, 621.4115758588, 621.4115758588, 330.8368144045, 330.8368144045, 52.90710814136, 52.90710814136, 0, 0],
     [25.73597968233, 7.067705295771, 7.067705295771, 1.446730898701, 1.446730898701, 0.1854389588831, 0.1854389588831, 0.0100005000375, 0.0100005000375, 0],
     [-24.77714641044, 15.4630208354, -6.410117405314, -0.4105735508198]),
    ("heun", "linear", False, "epsilon", "trailing", False, 5, {}, 157.4072808104,
     [999, 799, 799, 599, 599, 399, 399, 199, 199],
     [157.4072808104, 25.5284813892, 25.5284813892, 6.135208879029, 6.135208879029, 2.030851234838, 2.030851234838, 0.7192788171501, 0.7192788171501, 0],
     [-141.6108102129, 97.39892513711, -24.19836771938, -0.3216963355638]),
    ("heun", "linear", False, "epsilon", "trailing", True, 5, {}, 157.4072808104,
     [999, 893.6077738278, 893.6077738278, 752.0450194392, 752.0450194392, 538.41566864, 538.41566864, 199, 199],
     [157.4072808104, 57.39578860682, 57.39578860682, 17.65143741561, 17.65143741561, 4.271557835004, 4.271557835004, 0.7192788171501, 0.7192788171501, 0],
     [-144.5274577545, 77.66155163425, -20.5305663242, -0.4494130797233]),
    ("heun", "cosine", False, "v_prediction", "linspace", False, 3, {}, 20291.16961002,
     [999, 499.5, 499.5, 0, 0],
     [20291.16961002, 1.013970057234, 1.013970057234, 0.006425412771142, 0.006425412771142, 0],
     [-7228.993421595, 7208.922610435, -5968.936612461, -2084.801020709]),
    ("heun", "scaled", False, "v_prediction", "trailing", True, 10, {}, 14.61464122933,
     None,
     None,
     [-0.6554190882836, 0.4457287313298, -0.3591576942313, -0.1311364421141]),
    ("heun", "cosine", False, "sample", "linspace", False, 3, {}, 20291.16961002,
     [999, 499.5, 499.5, 0, 0],
     [20291.16961002, 1.013970057234, 1.013970057234, 0.006425412771142, 0.006425412771142, 0],
     [0.5499993552379, -0.4499999996836, 0.5491066724986, -0.4145436093538]),
    ("heun", "scaled", False, "sample", "trailing", True, 10, {}, 14.61464122933,
     None,
     None,
     [-0.3596208975471, 0.4707893285146, -0.2842932754061, -0.06749785464198]),
    ("heun", "linear", False, "epsilon", "trailing", False, 1, {}, 157.4072808104,
     [999],
     [157.4072808104, 0],
     [-86.35409244878, 45.56662949291, -18.52154702713, -2.721536348201]),
    ("heun", "linear", False, "epsilon", "trailing", False, 2, {}, 157.4072808104,
     [999, 499, 499],
     [157.4072808104, 3.424136619044, 3.424136619044, 0],
     [-102.6975432851, 96.91254957728, -23.81858240692, 18.95669189773]),
    ("heun", "linear", False, "epsilon", "linspace", False, 25, {}, 157.4072808104,
     None,
     None,
     [-130.1361314594, 73.35659090193, -21.25472319722, -0.6539185488869]),
    ("heun", "scaled", True, "v_prediction", "trailing", False, 5, {}, 4095.99987793,
     [999, 799, 799, 599, 599, 399, 399, 199, 199],
     [4095.99987793, 7.410702856719, 7.410702856719, 2.604854766903, 2.604854766903, 1.241374867355, 1.241374867355, 0.5947514842194, 0.5947514842194, 0],
     [-10.21008697303, 9.987103874891, -8.942503295863, -3.245555820846]),
    ("heun", "scaled", True, "v_prediction", "trailing", True, 5, {}, 4095.99987793,
     [999, 996.778692565, 996.778692565, 986.9903931881, 986.9903931881, 900.4831011988, 900.4831011988, 199, 199],
     [4095.99987793, 1027.520603764, 1027.520603764, 183.0710969176, 183.0710969176, 18.46100243725, 18.46100243725, 0.5947514842194, 0.5947514842194, 0],
     [-8.974885318098, 8.355803766644, -6.60866755162, -2.089653476578]),
    ("heun", "linear", True, "v_prediction", "linspace", False, 10, {}, 4095.99987793,
     None,
     None,
     [-0.7847308683652, 0.5483092725021, -0.4386142923248, -0.1575303653354]),
    ("heun", "linear", False, "epsilon", "trailing", False, 61, {}, 157.4072808104,
     None,
     None,
     [-129.39776847, 73.08360295553, -21.26856745929, -0.6598203862133]),
    ("dpmpp_2m", "linear", False, "epsilon", "linspace", False, 5, {}, 1,
     [999, 799, 599, 400, 200],
     [157.4072808104, 25.5284813892, 6.135208879029, 2.041087002614, 0.7235912594304, 0],
     [-110.2846452854, 64.18475097147, -21.92369377659, -0.57915585841]),
    ("dpmpp_2m", "linear", False, "epsilon", "linspace", True, 5, {}, 1,
     [999, 843, 593, 142, 0],
     [157.4072808104, 36.90895160563, 5.911208764768, 0.4913011708242, 0.0100005000375, 0],
     [-144.2577654442, 69.06796679698, -22.84735900151, 0.03581381620822]),
    ("dpmpp_2m", "linear", False, "epsilon", "leading", False, 5, {}, 1,
     [830, 664, 498, 332, 166],
     [32.96283586211, 9.360762258709, 3.405430218351, 1.455113270294, 0.5836404770406, 0],
     [-27.25541802651, 15.9571166479, -7.201895895333, -0.5322189711156]),
    ("dpmpp_2m", "linear", False, "epsilon", "leading", True, 5, {}, 1,
     [999, 843, 593, 142, 0],
     [157.4072808104, 36.90895160563, 5.911208764768, 0.4913011708242, 0.0100005000375, 0],
     [-144.2577654442, 69.06796679698, -22.84735900151, 0.03581381620822]),
    ("dpmpp_2m", "linear", False, "epsilon", "trailing", False, 5, {}, 1,
     [999, 799, 599, 399, 199],
     [157.4072808104, 25.5284813892, 6.135208879029, 2.030851234838, 0.7192788171501, 0],
     [-110.2529449756, 64.13283853858, -21.91887646723, -0.5786310175778]),
    ("dpmpp_2m", "linear", False, "epsilon", "trailing", True, 5, {}, 1,
     [999, 843, 593, 142, 0],
     [157.4072808104, 36.90895160563, 5.911208764768, 0.4913011708242, 0.0100005000375, 0],
     [-144.2577654442, 69.06796679698, -22.84735900151, 0.03581381620822]),
    ("dpmpp_2m", "cosine", False, "v_prediction", "linspace", False, 3, {}, 1,
     [999, 666, 333],
     [20291.16961002, 1.750723115872, 0.5897073450939, 0],
     [-0.2533384404827, 0.1167750882502, -0.1312256941781, -0.06324376423511]),
    ("dpmpp_2m", "scaled", False, "v_prediction", "trailing", True, 10, {}, 1,
     None,
     None,
     [-0.7662030177362, 0.5420244426376, -0.4323204695235, -0.1551648878934]),
    ("dpmpp_2m", "cosine", False, "sample", "linspace", False, 3, {}, 1,
     [999, 666, 333],
     [20291.16961002, 1.750723115872, 0.5897073450939, 0],
     [-0.5518647289811, 0.6527332657924, -0.5040738293544, -0.1921061743562]),
    ("dpmpp_2m", "scaled", False, "sample", "trailing", True, 10, {}, 1,
     None,
     None,
     [-0.04535874162055, 0.2099110791348, -0.01407847879564, 0.05279383460408]),
    ("dpmpp_2m", "linear", False, "epsilon", "trailing", False, 1, {}, 1,
     [999],
     [157.4072808104, 0],
     [-86.35895862837, 45.57028141967, -18.52284752796, -2.721469925616]),
    ("dpmpp_2m", "linear", False, "epsilon", "trailing", False, 2, {}, 1,
     [999, 499],
     [157.4072808104, 3.424136619044, 0],
     [-87.03573013013, 47.75380443083, -18.71753789511, -1.59884542465]),
    ("dpmpp_2m", "linear", False, "epsilon", "linspace", False, 25, {}, 1,
     [999, 959, 919, 879, 839, 799, 759, 719, 679, 639, 599, 559, 519, 480, 440, 400, 360, 320, 280, 240, 200, 160, 120, 80, 40],
     [157.4072808104, 105.9199112214, 72.43949833857, 50.3502650725, 35.565703668, 25.5284813892, 18.61747878279, 13.79190677792, 10.37513161023, 7.921799993312, 6.135208879029, 4.815327279294, 3.825726585748, 3.08883226157, 2.502325839087, 2.041087002614, 1.671886014919, 1.370800504048, 1.120412148331, 0.9078784445331, 0.7235912594304, 0.5602316086859, 0.4120917545676, 0.2745695483217, 0.1437042355958, 0],
     [-126.4977794142, 71.98010944357, -21.11596580504, -0.6577532087565]),
    ("dpmpp_2m", "scaled", True, "v_prediction", "trailing", False, 5, {}, 1,
     [999, 799, 599, 399, 199],
     [4095.99987793, 7.410702856719, 2.604854766903, 1.241374867355, 0.5947514842194, 0],
     [-0.460767323689, 0.2868327794012, -0.2517862358117, -0.09956678857242]),
    ("dpmpp_2m", "scaled", True, "v_prediction", "trailing", True, 5, {}, 1,
     [999, 996, 978, 750, 0],
     [4095.99987793, 829.2445378419, 104.3342480017, 5.416997236662, 0.02916715815172, 0],
     [0.1645758837239, -0.2657602295175, 0.1242844713293, 0.005046881161575]),
    ("dpmpp_2m", "linear", True, "v_prediction", "linspace", False, 10, {}, 1,
     None,
     None,
     [-0.6530782035414, 0.4431203505146, -0.3616104123994, -0.1329423445161]),
    ("dpmpp_2m", "linear", False, "epsilon", "trailing", False, 61, {}, 1,
     None,
     None,
     [-128.7160543923, 72.76797461151, -21.23897032603, -0.6622283237345]),
    ("dpmpp_2m_sde", "linear", False, "epsilon", "linspace", False, 5, {}, 1,
     [999, 799, 599, 400, 200],
     [157.4072808104, 25.5284813892, 6.135208879029, 2.041087002614, 0.7235912594304, 0],
     [-84.07770437618, 13.54804611243, -4.596700038688, -11.35547239382]),
    ("dpmpp_2m_sde", "linear", False, "epsilon", "linspace", True, 5, {}, 1,
     [999, 843, 593, 142, 0],
     [157.4072808104, 36.90895160563, 5.911208764768, 0.4913011708242, 0.0100005000375, 0],
     [-63.12783197587, -18.49230089082, 4.855318991953, -25.44401111244]),
    ("dpmpp_2m_sde", "linear", False, "epsilon", "leading", False, 5, {}, 1,
     [830, 664, 498, 332, 166],
     [32.96283586211, 9.360762258709, 3.405430218351, 1.455113270294, 0.5836404770406, 0],
     [-14.68334566355, -2.712541326688, -3.976228047345, -5.745766461522]),
    ("dpmpp_2m_sde", "linear", False, "epsilon", "leading", True, 5, {}, 1,
     [999, 843, 593, 142, 0],
     [157.4072808104, 36.90895160563, 5.911208764768, 0.4913011708242, 0.0100005000375, 0],
     [-63.12783197587, -18.49230089082, 4.855318991953, -25.44401111244]),
    ("dpmpp_2m_sde", "linear", False, "epsilon", "trailing", False, 5, {}, 1,
     [999, 799, 599, 399, 199],
     [157.4072808104, 25.5284813892, 6.135208879029, 2.030851234838, 0.7192788171501, 0],
     [-84.08915994149, 13.53033070642, -4.574155307783, -11.3615398133]),
    ("dpmpp_2m_sde", "linear", False, "epsilon", "trailing", True, 5, {}, 1,
     [999, 843, 593, 142, 0],
     [157.4072808104, 36.90895160563, 5.911208764768, 0.4913011708242, 0.0100005000375, 0],
     [-63.12783197587, -18.49230089082, 4.855318991953, -25.44401111244]),
    ("dpmpp_2m_sde", "cosine", False, "v_prediction", "linspace", False, 3, {}, 1,
     [999, 666, 333],
     [20291.16961002, 1.750723115872, 0.5897073450939, 0],
     [0.0161521529653, -0.6855017376609, -0.1452005055239, -0.2239519837013]),
    ("dpmpp_2m_sde", "scaled", False, "v_prediction", "trailing", True, 10, {}, 1,
     None,
     None,
     [0.4793631362568, -0.08237727936268, -0.0772883012661, -0.65131277577]),
    ("dpmpp_2m_sde", "cosine", False, "sample", "linspace", False, 3, {}, 1,
     [999, 666, 333],
     [20291.16961002, 1.750723115872, 0.5897073450939, 0],
     [-0.0555807120585, -0.2809849421344, -0.3462610346754, -0.4875603813814]),
    ("dpmpp_2m_sde", "scaled", False, "sample", "trailing", True, 10, {}, 1,
     None,
     None,
     [0.1636427029626, 0.1315814125026, 0.106601097229, 0.07831144447759]),
    ("dpmpp_2m_sde", "linear", False, "epsilon", "trailing", False, 1, {}, 1,
     [999],
     [157.4072808104, 0],
     [-86.35895862837, 45.57028141967, -18.52284752796, -2.721469925616]),
    ("dpmpp_2m_sde", "linear", False, "epsilon", "trailing", False, 2, {}, 1,
     [999, 499],
     [157.4072808104, 3.424136619044, 0],
     [-84.81210531721, 45.60513950784, -17.34638280438, -3.642452285445]),
    ("dpmpp_2m_sde", "linear", False, "epsilon", "linspace", False, 25, {}, 1,
     None,
     None,
     [0.8142039289226, -13.27268308645, -7.377703426896, -26.39075893032]),
    ("dpmpp_2m_sde", "scaled", True, "v_prediction", "trailing", False, 5, {}, 1,
     [999, 799, 599, 399, 199],
     [4095.99987793, 7.410702856719, 2.604854766903, 1.241374867355, 0.5947514842194, 0],
     [-0.4202655622512, -0.3897149456684, 0.0595275604042, -0.3267884516474]),
    ("dpmpp_2m_sde", "scaled", True, "v_prediction", "trailing", True, 5, {}, 1,
     [999, 996, 978, 750, 0],
     [4095.99987793, 829.2445378419, 104.3342480017, 5.416997236662, 0.02916715815172, 0],
     [0.147215684992, -0.02259204404158, 0.6707913234863, -1.607495884599]),
    ("dpmpp_2m_sde", "linear", True, "v_prediction", "linspace", False, 10, {}, 1,
     None,
     None,
     [0.2767493158953, 0.332808537771, -0.01285528906507, -0.1305367830528]),
    ("dpmpp_2m_sde", "linear", False, "epsilon", "trailing", False, 61, {}, 1,
     None,
     None,
     [6.185886843553, -45.50082111077, -38.33772269569, -10.00605329575]),
    ("unipc", "linear", False, "epsilon", "linspace", False, 5, {}, 1,
     [999, 799, 599, 400, 200],
     [157.4072808104, 25.5284813892, 6.135208879029, 2.041087002614, 0.7235912594304, 0],
     [-111.5904136757, 64.77754427278, -22.26229191608, -0.5726312487277]),
    ("unipc", "linear", False, "epsilon", "linspace", True, 5, {}, 1,
     [999, 843, 593, 142, 0],
     [157.4072808104, 36.90895160563, 5.911208764768, 0.4913011708242, 0.0100005000375, 0],
     [-148.2835748888, 70.64497264321, -22.91642802075, 0.05730852972076]),
    ("unipc", "linear", False, "epsilon", "leading", False, 5, {}, 1,
     [830, 664, 498, 332, 166],
     [32.96283586211, 9.360762258709, 3.405430218351, 1.455113270294, 0.5836404770406, 0],
     [-27.81188975401, 16.0939733935, -7.293879049307, -0.5242143331657]),
    ("unipc", "linear", False, "epsilon", "leading", True, 5, {}, 1,
     [999, 843, 593, 142, 0],
     [157.4072808104, 36.90895160563, 5.911208764768, 0.4913011708242, 0.0100005000375, 0],
     [-148.2835748888, 70.64497264321, -22.91642802075, 0.05730852972076]),
    ("unipc", "linear", False, "epsilon", "trailing", False, 5, {}, 1,
     [999, 799, 599, 399, 199],
     [157.4072808104, 25.5284813892, 6.135208879029, 2.030851234838, 0.7192788171501, 0],
     [-111.6612404919, 64.7141308826, -22.25438664027, -0.5721788823026]),
    ("unipc", "linear", False, "epsilon", "trailing", True, 5, {}, 1,
     [999, 843, 593, 142, 0],
     [157.4072808104, 36.90895160563, 5.911208764768, 0.4913011708242, 0.0100005000375, 0],
     [-148.2835748888, 70.64497264321, -22.91642802075, 0.05730852972076]),
    ("unipc", "cosine", False, "v_prediction", "linspace", False, 3, {}, 1,
     [999, 666, 333],
     [20291.16961002, 1.750723115872, 0.5897073450939, 0],
     [-0.3180122121562, 0.1781583023791, -0.1832956146052, -0.0815834519843]),
    ("unipc", "scaled", False, "v_prediction", "trailing", True, 10, {}, 1,
     None,
     None,
     [-0.7459320805095, 0.5202417676954, -0.4137675872133, -0.1486734814405]),
    ("unipc", "cosine", False, "sample", "linspace", False, 3, {}, 1,
     [999, 666, 333],
     [20291.16961002, 1.750723115872, 0.5897073450939, 0],
     [-0.5497913018678, 0.650987493697, -0.5017552168455, -0.1938132838431]),
    ("unipc", "scaled", False, "sample", "trailing", True, 10, {}, 1,
     None,
     None,
     [-0.04370390209817, 0.2093906288487, -0.01310637961764, 0.05377458471673]),
    ("unipc", "linear", False, "epsilon", "trailing", False, 1, {}, 1,
     [999],
     [157.4072808104, 0],
     [-86.35895862837, 45.57028141967, -18.52284752796, -2.721469925616]),
    ("unipc", "linear", False, "epsilon", "trailing", False, 2, {}, 1,
     [999, 499],
     [157.4072808104, 3.424136619044, 0],
     [-87.03573013013, 47.75380443083, -18.71753789511, -1.59884542465]),
    ("unipc", "linear", False, "epsilon", "linspace", False, 25, {}, 1,
     [999, 959, 919, 879, 839, 799, 759, 719, 679, 639, 599, 559, 519, 480, 440, 400, 360, 320, 280, 240, 200, 160, 120, 80, 40],
     [157.4072808104, 105.9199112214, 72.43949833857, 50.3502650725, 35.565703668, 25.5284813892, 18.61747878279, 13.79190677792, 10.37513161023, 7.921799993312, 6.135208879029, 4.815327279294, 3.825726585748, 3.08883226157, 2.502325839087, 2.041087002614, 1.671886014919, 1.370800504048, 1.120412148331, 0.9078784445331, 0.7235912594304, 0.5602316086859, 0.4120917545676, 0.2745695483217, 0.1437042355958, 0],
     [-127.3886276855, 72.44500466918, -21.16676995311, -0.6599522395922]),
    ("unipc", "scaled", True, "v_prediction", "trailing", False, 5, {}, 1,
     [999, 799, 599, 399, 199],
     [4095.99987793, 7.410702856719, 2.604854766903, 1.241374867355, 0.5947514842194, 0],
     [-0.5047611740694, 0.3227468904007, -0.276064809195, -0.1062548960809]),
    ("unipc", "scaled", True, "v_prediction", "trailing", True, 5, {}, 1,
     [999, 996, 978, 750, 0],
     [4095.99987793, 829.2445378419, 104.3342480017, 5.416997236662, 0.02916715815172, 0],
     [0.1635359240113, -0.2647381930971, 0.1234165706553, 0.004738148570392]),
    ("unipc", "linear", True, "v_prediction", "linspace", False, 10, {}, 1,
     None,
     None,
     [-0.6667166858262, 0.4530930886453, -0.3675754479961, -0.1344128585796]),
    ("unipc", "linear", False, "epsilon", "trailing", False, 61, {}, 1,
     None,
     None,
     [-129.098046805, 72.94113048787, -21.26662899292, -0.6622467572838]),
    ("ddim", "linear", False, "epsilon", "linspace", False, 5, {'eta': 0.0}, 1,
     [999, 749, 500, 250, 0],
     None,
     [-45.33990867296, 26.93477865338, -9.822044952534, -0.6822642424399]),
    ("ddim", "linear", False, "epsilon", "leading", False, 5, {'eta': 0.0}, 1,
     [800, 600, 400, 200, 0],
     None,
     [-19.97399852491, 11.86568423167, -5.871099996682, -0.6382619014694]),
    ("ddim", "linear", False, "epsilon", "trailing", False, 5, {'eta': 0.0}, 1,
     [999, 799, 599, 399, 199],
     None,
     [-102.3968900412, 59.06521736814, -21.18473690672, -0.8326606255885]),
    ("ddim", "cosine", False, "v_prediction", "linspace", False, 3, {'eta': 0.0}, 1,
     [999, 500, 0],
     None,
     [-0.4481933214017, 0.282709659138, -0.2069490069316, -0.07327168255409]),
    ("ddim", "scaled", False, "v_prediction", "trailing", False, 10, {'eta': 0.0}, 1,
     None,
     None,
     [-0.5400279755758, 0.3501443652243, -0.2917497178469, -0.110985182383]),
    ("ddim", "cosine", False, "sample", "linspace", False, 3, {'eta': 0.0}, 1,
     [999, 500, 0],
     None,
     [-0.3442415318773, 0.4518348960605, -0.2954081407367, -0.08979596932961]),
    ("ddim", "scaled", False, "sample", "trailing", False, 10, {'eta': 0.0}, 1,
     None,
     None,
     [-0.3745643645687, 0.4840070168499, -0.3069327731215, -0.08418528947291]),
    ("ddim", "linear", False, "epsilon", "trailing", False, 1, {'eta': 0.0}, 1,
     [999],
     None,
     [-86.35895862837, 45.57028141967, -18.52284752796, -2.721469925616]),
    ("ddim", "linear", False, "epsilon", "trailing", False, 2, {'eta': 0.0}, 1,
     [999, 499],
     None,
     [-87.03573013013, 47.75380443083, -18.71753789511, -1.59884542465]),
    ("ddim", "linear", False, "epsilon", "linspace", False, 25, {'eta': 0.0}, 1,
     None,
     None,
     [-99.78267791547, 56.30459228716, -17.53168716284, -0.6586308953287]),
    ("ddim", "scaled", True, "v_prediction", "trailing", False, 5, {'eta': 0.0}, 1,
     [999, 799, 599, 399, 199],
     None,
     [-0.3786744812693, 0.2165385456186, -0.2014729352312, -0.08464126972681]),
    ("ddim", "linear", True, "v_prediction", "linspace", False, 10, {'eta': 0.0}, 1,
     None,
     None,
     [-0.589273402104, 0.3963157708573, -0.3190892529532, -0.117311835083]),
    ("ddim", "linear", False, "epsilon", "trailing", False, 61, {'eta': 0.0}, 1,
     None,
     None,
     [-17485.3516472, 9806.653797276, -2903.47648712, -65.64082346664]),
    ("ddpm", "linear", False, "epsilon", "linspace", False, 5, {'variance': 'fixed_small'}, 1,
     [999, 749, 500, 250, 0],
     None,
     [-74.9953278031, 36.6257215228, -13.28375807573, -6.552011570948]),
    ("ddpm", "linear", False, "epsilon", "leading", False, 5, {'variance': 'fixed_small'}, 1,
     [800, 600, 400, 200, 0],
     None,
     [-14.02590383157, 3.2422146565, -4.57684596367, -3.011130952221]),
    ("ddpm", "linear", False, "epsilon", "trailing", False, 5, {'variance': 'fixed_small'}, 1,
     [999, 799, 599, 399, 199],
     None,
     [-85.21045043139, 23.05156873653, -9.471643941865, -8.412513409505]),
    ("ddpm", "cosine", False, "v_prediction", "linspace", False, 3, {'variance': 'fixed_small'}, 1,
     [999, 500, 0],
     None,
     [0.07470115838074, -0.1221869509477, 0.006335446149989, -0.110316161012]),
    ("ddpm", "scaled", False, "v_prediction", "trailing", False, 10, {'variance': 'fixed_small'}, 1,
     None,
     None,
     [0.2960251790044, 0.07603772437787, 0.02502314852153, -0.1752459767801]),
    ("ddpm", "cosine", False, "sample", "linspace", False, 3, {'variance': 'fixed_small'}, 1,
     [999, 500, 0],
     None,
     [-0.1399069262157, 0.3262659515708, -0.1665863330146, -0.18260140305]),
    ("ddpm", "scaled", False, "sample", "trailing", False, 10, {'variance': 'fixed_small'}, 1,
     None,
     None,
     [0.2924544684559, 0.05080685155453, 0.03477589262232, -0.1413004628549]),
    ("ddpm", "linear", False, "epsilon", "trailing", False, 1, {'variance': 'fixed_small'}, 1,
     [999],
     None,
     [-86.35895862837, 45.5702814197, -18.52284752799, -2.721469925705]),
    ("ddpm", "linear", False, "epsilon", "trailing", False, 2, {'variance': 'fixed_small'}, 1,
     [999, 499],
     None,
     [-84.81210531718, 45.60513950761, -17.34638280441, -3.642452285514]),
    ("ddpm", "linear", False, "epsilon", "linspace", False, 25, {'variance': 'fixed_small'}, 1,
     None,
     None,
     [0.3297732595889, -9.798580096978, -7.7632542301, -21.88723980298]),
    ("ddpm", "scaled", True, "v_prediction", "trailing", False, 5, {'variance': 'fixed_small'}, 1,
     [999, 799, 599, 399, 199],
     None,
     [-0.4475175670171, -0.3655982598683, 0.1136500172917, -0.2685792294959]),
    ("ddpm", "linear", True, "v_prediction", "linspace", False, 10, {'variance': 'fixed_small'}, 1,
     None,
     None,
     [0.241046948088, 0.2770730494516, -0.1221531335816, -0.288085375364]),
    ("ddpm", "linear", False, "epsilon", "trailing", False, 61, {'variance': 'fixed_small'}, 1,
     None,
     None,
     [767.4003093135, -5878.304038142, -5485.894028129, -1294.690074281]),
    ("ddim", "linear", False, "epsilon", "leading", False, 5, {'eta': 0.5}, 1,
     None,
     None,
     [-18.91947955898, 9.862296023125, -6.740044661289, -1.955623707871]),
    ("ddim", "linear", False, "v_prediction", "trailing", False, 5, {'eta': 1.0}, 1,
     None,
     None,
     [-0.5188578564362, -0.113552228661, 0.2484357477831, -0.3197205814944]),
    ("ddpm", "linear", False, "epsilon", "leading", False, 5, {'variance': 'fixed_large'}, 1,
     None,
     None,
     [-14.83710235981, 2.563766670011, -4.229146421333, -3.632969825816]),
    ("ddpm", "linear", False, "epsilon", "trailing", False, 3, {'variance': 'fixed_large'}, 1,
     None,
     None,
     [-83.52832525738, 37.47239230616, -17.74662676712, -5.090808172459]),
    ("dpmpp_2m", "cosine", False, "epsilon", "linspace", True, 5, {}, 1,
     [999, 998, 997, 936, 0],
     [20291.16961002, 3547.499266219, 345.8736853012, 10.31676273447, 0.006425412771142, 0],
     [-18648.73065392, 10840.31925734, -1287.095146169, 21.28738501074]),
    ("dpmpp_2m_sde", "cosine", False, "epsilon", "linspace", True, 10, {}, 1,
     [999, 998, 998, 998, 997, 995, 983, 894, 259, 0],
     [20291.16961002, 9856.332735894, 4405.703920814, 1773.357520587, 622.8875776582, 181.9561711497, 40.84088288381, 6.096221203196, 0.4438443793304, 0.006425412771142, 0],
     [200.8722342897, -6936.247603928, 149.2239202896, 170.070529134]),
    ("unipc", "cosine", False, "epsilon", "linspace", True, 10, {}, 1,
     [999, 999, 999, 998, 998, 995, 983, 895, 259, 0],
     [20291.16961002, 9856.332735894, 4405.703920814, 1773.357520587, 622.8875776582, 181.9561711497, 40.84088288381, 6.096221203196, 0.4438443793304, 0.006425412771142, 0],
     [-16995.47634403, 8706.101625471, -1808.102268572, 0.04060274678978]),
    ("dpmpp_2m", "scaled", True, "v_prediction", "linspace", True, 25, {}, 1,
     None,
     None,
     [-0.7632901230409, 0.5381073438846, -0.434092840851, -0.1571971175463]),
    ("unipc", "scaled", True, "v_prediction", "linspace", True, 25, {}, 1,
     None,
     None,
     [-0.7514945499827, 0.5230963849966, -0.4204216743198, -0.1522309756184]),
]


def test_golden():
    print("(a) diffusers' numbers")
    worst = {}
    for (name, sched, zsnr, pred, spacing, karras, steps, extra, init, ts, sig, sample) in GOLDEN:
        acp = alphas_cumprod(sched, zsnr)
        kind = SCHEDULES[sched][0]
        plan = sr.sampler_plan(name, acp, steps, spacing, karras, beta_schedule=kind)
        out = sr.run_sampler(name, golden_model, acp, golden_z(), steps, spacing=spacing, karras=karras,
                             prediction=pred, step_noise=golden_noise, beta_schedule=kind, **extra)
        e = rel_err(plan["init_noise_sigma"], init)
        e = max(e, rel_err(out["sample"].reshape(-1), sample))
        if ts is not None:
            e = max(e, rel_err(plan["timesteps"], ts))
        if sig is not None:
            e = max(e, rel_err(plan["sigmas"], sig))
        what = f"{name} {sched}{' zero-snr' if zsnr else ''} {pred} {spacing}{' karras' if karras else ''} " \
               f"{steps} steps {extra}"
        if not e <= 1e-10:
            check(False, f"{what}: relative error {e:.2e}")
        worst[name] = max(worst.get(name, 0.0), e)
    for name in sr.SAMPLERS:
        n = sum(1 for g in GOLDEN if g[0] == name)
        check(worst[name] <= 1e-10, f"{name}: {n} diffusers runs reproduced, max relative error {worst[name]:.1e}")


# ---------------------------------------------------------------------------------------------
# (b) the plan


def test_plan():
    print("(b) the plan")
    acp = alphas_cumprod("linear")
    T = 1000
    sig_tab = np.sqrt((1.0 - acp) / acp)

    def ts(name, spacing, steps=10, karras=False):
        return sr.sampler_plan(name, acp, steps, spacing, karras)["timesteps"].tolist()

    check(ts("euler", "linspace") == [999.0 - 111.0 * k for k in range(10)], "euler linspace: 999, 888, ..., 0")
    check(ts("euler", "linspace", 4) == [999.0, 666.0, 333.0, 0.0], "euler linspace 4 steps")
    check(ts("euler", "linspace", 5) == [999.0, 749.25, 499.5, 249.75, 0.0], "euler linspace keeps fractions")
    check(ts("euler", "leading") == [900.0 - 100.0 * k for k in range(10)], "euler leading: 900, ..., 0")
    check(ts("euler", "trailing") == [999.0 - 100.0 * k for k in range(10)], "euler trailing: 999, ..., 99")
    check(ts("dpmpp_2m", "linspace") == [999, 899, 799, 699, 599, 500, 400, 300, 200, 100],
          "dpmpp_2m linspace: round(linspace(0, 999, 11)) without 0 (499.5 -> 500)")
    check(ts("unipc", "leading") == [900 - 90 * k for k in range(10)], "unipc leading: ratio 1000 // 11 = 90")
    check(ts("dpmpp_2m", "trailing") == ts("euler", "trailing"), "trailing is shared")
    check(ts("ddim", "linspace") == [999 - 111 * k for k in range(10)], "ddim linspace: rounded")
    check(ts("ddim", "linspace", 3) == [999, 500, 0], "ddim linspace 3 steps: 499.5 -> 500")
    check(ts("ddpm", "leading", 3) == [666, 333, 0], "ddpm leading 3 steps")
    check(ts("ddim", "trailing", 16) == [999, 937, 874, 811, 749, 687, 624, 561, 499, 437, 374, 311, 249,
                                        187, 124, 61],
          "trailing 16 steps: np.round rounds 937.5 up, 812.5 down (half to even)")
    t61 = ts("euler", "trailing", 61)
    check(len(t61) == 62 and t61[-1] == -1.0 and t61[-2] == 15.0,
          "trailing 61 steps: np.arange gives 62 entries, the last rounds to 0 and becomes -1 (as diffusers)")
    p61 = sr.sampler_plan("euler", acp, 61, "trailing")
    check(p61["sigmas"][-2] == sig_tab[0], "... whose sigma np.interp clamps to sigma_0")

    # sigmas: interpolated at the (fractional) timesteps, final 0
    for name in ("euler", "euler_a", "dpmpp_2m", "dpmpp_2m_sde", "unipc"):
        for spacing in sr.SPACINGS:
            p = sr.sampler_plan(name, acp, 7, spacing)
            ok = np.allclose(p["sigmas"][:-1], np.interp(p["timesteps"], np.arange(T), sig_tab), rtol=1e-15) \
                and p["sigmas"][-1] == 0.0 and len(p["sigmas"]) == len(p["timesteps"]) + 1
            if not ok:
                check(False, f"{name} {spacing}: sigmas = sigma(t), then 0")
    check(True, "sigmas = sqrt((1 - abar) / abar) interpolated at the model timesteps, then 0 (5 samplers x 3 spacings)")

    p = sr.sampler_plan("heun", acp, 4, "linspace")
    s = sr.sampler_plan("euler", acp, 4, "linspace")
    check(len(p["timesteps"]) == 7 and len(p["sigmas"]) == 8, "heun 4 steps: 7 model calls, 8 sigmas")
    check(p["timesteps"].tolist() == [999, 666, 666, 333, 333, 0, 0], "heun timesteps t0, t1, t1, t2, t2, t3, t3")
    check(np.array_equal(p["sigmas"], s["sigmas"][[0, 1, 1, 2, 2, 3, 3, 4]]), "heun sigmas s0, s1, s1, ..., s3, s3, 0")

    check(sr.sampler_plan("euler", acp, 10, "linspace")["init_noise_sigma"] == sig_tab[-1],
          "init_noise_sigma (euler, linspace) = sigma_max")
    lead = sr.sampler_plan("euler_a", acp, 10, "leading")
    check(lead["init_noise_sigma"] == math.sqrt(sig_tab[900] ** 2 + 1.0),
          "init_noise_sigma (leading) = sqrt(sigma_max^2 + 1)")
    for name in ("dpmpp_2m", "unipc", "ddim", "ddpm"):
        if sr.sampler_plan(name, acp, 10, "leading")["init_noise_sigma"] != 1.0:
            check(False, f"{name}: init_noise_sigma 1")

    # Karras
    ks = sr.karras_sigmas(0.01, 80.0, 6)
    check(abs(ks[0] - 80.0) < 1e-12 and abs(ks[-1] - 0.01) < 1e-15
          and np.allclose(np.diff(ks ** (1 / 7.0)), (0.01 ** (1 / 7.0) - 80.0 ** (1 / 7.0)) / 5, rtol=1e-12),
          "karras_sigmas: from sigma_max to sigma_min, equally spaced in sigma^(1/7)")
    k1 = sr.karras_sigmas(0.01, 80.0, 1)
    check(len(k1) == 1 and abs(k1[0] - 80.0) < 1e-12, "karras_sigmas n = 1: [sigma_max]")
    pe = sr.sampler_plan("euler", acp, 5, "leading", karras=True)
    check(abs(pe["sigmas"][0] - sig_tab[800]) < 1e-12 and abs(pe["sigmas"][4] - sig_tab[0]) < 1e-15,
          "euler karras: range = sigmas of the spacing's first and last timestep (leading: 800 and 0)")
    pd = sr.sampler_plan("dpmpp_2m", acp, 5, "leading", karras=True)
    check(abs(pd["sigmas"][0] - sig_tab[999]) < 1e-12 and pd["timesteps"][0] == 999,
          "dpmpp_2m karras: range = the whole table, whatever the spacing")
    logs = np.log(sig_tab)
    t_back = sr.sigma_to_t(sr.karras_sigmas(sig_tab[0], sig_tab[-1], 9), logs)
    check(np.allclose(pe["timesteps"], sr.sigma_to_t(pe["sigmas"][:-1], logs), rtol=0, atol=0)
          and np.array_equal(sr.sampler_plan("unipc", acp, 9, "linspace", True)["timesteps"], np.round(t_back)),
          "karras timesteps = sigma_to_t(sigma) (euler, heun), rounded (dpmpp_2m, unipc)")
    pc = alphas_cumprod("cosine")
    tr = sr.sampler_plan("dpmpp_2m", pc, 5, karras=True, beta_schedule="squaredcos_cap_v2")["timesteps"]
    rd = sr.sampler_plan("dpmpp_2m", pc, 5, karras=True)["timesteps"]
    frac = sr.sigma_to_t(sr.sampler_plan("dpmpp_2m", pc, 5, karras=True)["sigmas"][:-1], np.log(sr.training_sigmas(pc)))
    check(np.array_equal(tr, np.trunc(frac)) and np.array_equal(rd, np.round(frac)) and not np.array_equal(tr, rd),
          "dpmpp_2m karras on squaredcos_cap_v2: timesteps truncated, not rounded (diffusers' exception)")

    # sigma_to_t
    check(np.allclose(sr.sigma_to_t(sig_tab, logs), np.arange(T), rtol=0, atol=1e-9),
          "sigma_to_t(sigma_t) = t for every training t")
    mid = np.sqrt(sig_tab[:-1] * sig_tab[1:])
    check(np.allclose(sr.sigma_to_t(mid, logs), np.arange(T - 1) + 0.5, rtol=0, atol=1e-9),
          "sigma_to_t(geometric mean of sigma_t, sigma_t+1) = t + 1/2 (linear in log sigma)")
    check(sr.sigma_to_t(1e-3, logs) == 0.0 and sr.sigma_to_t(1e4, logs) == T - 1, "sigma_to_t clamps to [0, T-1]")

    # zero terminal SNR
    z = alphas_cumprod("linear", zero_snr=True)
    check(z[-1] == 0.0, "zero-SNR table: abar_T-1 = 0 exactly")
    zs = sr.training_sigmas(z)
    check(zs[-1] == math.sqrt((1 - 2.0 ** -24) / 2.0 ** -24) and zs[-2] > zs[-1],
          "2**-24 substituted: sigma_999 = 4096 * sqrt(1 - 2**-24) < sigma_998 (not monotonic)")
    check(sr.sigma_to_t(zs[-1], np.log(zs)) == 999.0, "sigma_to_t takes the last bracketing index (-> 999)")
    for name in sr.SIGMA_SAMPLERS:
        if sr.sampler_plan(name, z, 5, "trailing")["sigmas"][0] != zs[-1]:
            check(False, f"{name}: zero-SNR first sigma")
    check(True, "the six sigma-based samplers start at sigma = 4096 on the zero-SNR table (trailing)")


# ---------------------------------------------------------------------------------------------
# (c) Gaussian data: exact denoiser, exact probability-flow ODE

MU = np.array([0.5, -1.0])
S = np.array([0.5, 0.2])


def gaussian_prediction(x_in, abar, pred):
    """The exact (posterior-mean) prediction for x0 ~ N(MU, S^2) from the VP input
    x_in = sqrt(abar) x0 + sqrt(1 - abar) eps."""
    c = x_in - math.sqrt(abar) * MU
    den = abar * S ** 2 + 1.0 - abar
    eps = math.sqrt(1.0 - abar) * c / den
    x0 = MU + math.sqrt(abar) * S ** 2 * c / den
    if pred == "epsilon":
        return eps
    if pred == "sample":
        return x0
    return math.sqrt(abar) * eps - math.sqrt(1.0 - abar) * x0


def timestep_model(acp, pred):
    """Knows sigma only through t: sigma(t) interpolated linearly in the training table."""
    sig_tab = sr.training_sigmas(acp)

    def model(x_in, t):
        s = float(np.interp(t, np.arange(len(acp)), sig_tab))
        return gaussian_prediction(x_in, 1.0 / (1.0 + s * s), pred)
    return model


def oracle_model(plan, acp, pred):
    """Knows the sigma of the state at each call from the plan (the Karras timesteps of
    dpmpp_2m / unipc are rounded, so t alone would not tell it)."""
    k = [0]

    def model(x_in, t):
        if plan["sigmas"] is not None:
            s = float(plan["sigmas"][k[0]])
            abar = 1.0 / (1.0 + s * s)
        else:
            abar = float(acp[int(t)])
        k[0] += 1
        return gaussian_prediction(x_in, abar, pred)
    return model


def exact_sample(name, plan, acp, z):
    """Exact flow from the first state to the last nonzero sigma (x - MU grows like
    sqrt(S^2 + sigma^2) along the probability-flow ODE, in x = x0 + sigma eps), then the final
    jump to the denoised value every sampler here ends with."""
    if plan["sigmas"] is None:
        sig_tab = np.sqrt((1.0 - acp) / acp)
        s0, s_last = sig_tab[int(plan["timesteps"][0])], sig_tab[int(plan["timesteps"][-1])]
    else:
        s0, s_last = plan["sigmas_schedule"][0], plan["sigmas_schedule"][-2]
    x0_ve = z * plan["init_noise_sigma"]
    if name in ("dpmpp_2m", "dpmpp_2m_sde", "unipc", "ddim", "ddpm"):
        x0_ve = x0_ve * math.sqrt(1.0 + s0 * s0)
    x_ve = MU + (x0_ve - MU) * np.sqrt((S ** 2 + s_last ** 2) / (S ** 2 + s0 ** 2))
    return MU + S ** 2 / (S ** 2 + s_last ** 2) * (x_ve - MU)


def slope(name, acp, spacing, karras, steps, z, pred="epsilon", oracle=True):
    errs = []
    for n in steps:
        plan = sr.sampler_plan(name, acp, n, spacing, karras)
        model = oracle_model(plan, acp, pred) if oracle else timestep_model(acp, pred)
        out = sr.run_sampler(name, model, acp, z, n, spacing=spacing, karras=karras, prediction=pred)
        errs.append(float(np.max(np.abs(out["sample"] - exact_sample(name, plan, acp, z)))))
    return float(np.polyfit(np.log(steps), np.log(errs), 1)[0]), errs


def test_gaussian():
    print("(c) Gaussian data")
    z = np.random.default_rng(0).standard_normal((4, 2))
    acp = alphas_cumprod("scaled")
    # Karras sigmas make the grid smooth in log-SNR; with linspace in t the last steps of
    # dpmpp_2m / unipc stay large in log-SNR and the asymptotic order only shows beyond ~500 steps.
    cases = [("euler", "linspace", True, [10, 20, 40, 80], (-1.15, -0.85)),
             ("ddim", "leading", False, [10, 20, 40, 100], (-1.15, -0.8)),
             ("heun", "linspace", True, [10, 20, 40, 80], (-2.3, -1.8)),
             ("dpmpp_2m", "linspace", True, [10, 20, 40, 80], (-2.3, -1.8)),
             ("unipc", "linspace", True, [10, 20, 40, 80], (-3.4, -2.6))]
    for name, spacing, karras, steps, (lo, hi) in cases:
        s, errs = slope(name, acp, spacing, karras, steps, z)
        check(lo <= s <= hi, f"{name} ({spacing}{', karras' if karras else ''}): slope {s:.2f} in [{lo}, {hi}]; "
                             f"errors {' '.join(f'{e:.1e}' for e in errs)} at {steps} steps")
    acp_lin = alphas_cumprod("linear")
    for name, (lo, hi) in [("euler", (-1.1, -0.9)), ("heun", (-2.2, -1.8))]:
        s, errs = slope(name, acp_lin, "linspace", False, [10, 20, 40, 80], z, oracle=False)
        check(lo <= s <= hi, f"{name} (linear betas, linspace, model told only t): slope {s:.2f}; "
                             f"errors {' '.join(f'{e:.1e}' for e in errs)}")

    # the three prediction types are the same sampler
    noise = (lambda k: np.random.default_rng([5, k]).standard_normal((4, 2)))
    for name in sr.SAMPLERS:
        for karras in ([False, True] if name in sr.KARRAS_SAMPLERS else [False]):
            outs = []
            for pred in sr.PREDICTIONS:
                plan = sr.sampler_plan(name, acp, 6, "trailing", karras)
                outs.append(sr.run_sampler(name, oracle_model(plan, acp, pred), acp, z, 6, spacing="trailing",
                                           karras=karras, prediction=pred, step_noise=noise, eta=0.7)["sample"])
            e = max(rel_err(outs[1], outs[0]), rel_err(outs[2], outs[0]))
            if not e < 1e-9:
                check(False, f"{name}{' karras' if karras else ''}: epsilon / sample / v_prediction differ by {e:.1e}")
    check(True, "epsilon, sample and v_prediction models of the same denoiser give the same samples (all samplers)")

    # known identities on the leading spacing (there init_noise_sigma = sqrt(sigma^2 + 1) makes the
    # Euler family start from the same unit-variance VP state as DDIM / DDPM)
    model = timestep_model(acp_lin, "epsilon")
    for n in (10, 50):
        e = sr.run_sampler("euler", model, acp_lin, z, n, spacing="leading")["sample"]
        d = sr.run_sampler("ddim", model, acp_lin, z, n, spacing="leading")["sample"]
        check(rel_err(e, d) < 1e-13, f"euler == ddim (eta 0), leading, {n} steps: {rel_err(e, d):.1e}")
        a = sr.run_sampler("euler_a", model, acp_lin, z, n, spacing="leading", step_noise=noise)["sample"]
        p = sr.run_sampler("ddpm", model, acp_lin, z, n, spacing="leading", step_noise=noise)["sample"]
        d1 = sr.run_sampler("ddim", model, acp_lin, z, n, spacing="leading", step_noise=noise, eta=1.0)["sample"]
        check(max(rel_err(a, p), rel_err(d1, p)) < 1e-13,
              f"euler_a == ddpm (fixed_small) == ddim (eta 1), leading, {n} steps: "
              f"{max(rel_err(a, p), rel_err(d1, p)):.1e}")

    # stochastic samplers reproduce the data distribution
    n_rows = 4000
    zz = np.random.default_rng(1).standard_normal((n_rows, 2))
    big_noise = (lambda k: np.random.default_rng([9, k]).standard_normal((n_rows, 2)))
    for name, steps in (("euler_a", 1000), ("dpmpp_2m_sde", 500)):
        x = sr.run_sampler(name, timestep_model(acp_lin, "epsilon"), acp_lin, zz, steps,
                           step_noise=big_noise)["sample"]
        m, sd = x.mean(axis=0), x.std(axis=0)
        ok = np.all(np.abs(m - MU) < 4 * S / math.sqrt(n_rows) + 0.01) and np.all(np.abs(sd / S - 1) < 0.04)
        check(ok, f"{name}, {steps} steps, {n_rows} samples: mean {np.round(m, 3)} (data {MU}), "
                  f"std {np.round(sd, 3)} (data {S})")


# ---------------------------------------------------------------------------------------------
# (d) noise draws and argument errors


def test_noise_and_errors():
    print("(d) noise draws and errors")
    acp = alphas_cumprod("linear")
    z = np.zeros((1, 2))
    model = (lambda x, t: 0.1 * x)
    expect = {"euler": [], "heun": [], "dpmpp_2m": [], "unipc": [], "euler_a": [0, 1, 2, 3],
              "dpmpp_2m_sde": [0, 1, 2, 3]}
    for name, calls in expect.items():
        drawn = []
        sr.run_sampler(name, model, acp, z, 4, spacing="trailing",
                       step_noise=lambda k: (drawn.append(k), np.zeros((1, 2)))[1])
        check(drawn == calls, f"{name}: noise drawn at calls {calls}")
    for spacing, calls in (("linspace", [0, 1, 2]), ("trailing", [0, 1, 2, 3])):
        drawn = []
        sr.run_sampler("ddpm", model, acp, z, 4, spacing=spacing,
                       step_noise=lambda k: (drawn.append(k), np.zeros((1, 2)))[1])
        check(drawn == calls, f"ddpm {spacing}: noise drawn at the calls with t > 0, {calls}")
    for eta, calls in ((0.0, []), (0.3, [0, 1, 2, 3])):
        drawn = []
        sr.run_sampler("ddim", model, acp, z, 4, eta=eta,
                       step_noise=lambda k: (drawn.append(k), np.zeros((1, 2)))[1])
        check(drawn == calls, f"ddim eta {eta}: noise drawn at calls {calls}")

    def raises(f):
        try:
            f()
        except ValueError:
            return True
        return False
    check(raises(lambda: sr.sampler_plan("lms", acp, 5)), "unknown sampler -> ValueError")
    check(raises(lambda: sr.sampler_plan("euler_a", acp, 5, karras=True)), "karras on euler_a -> ValueError")
    check(raises(lambda: sr.sampler_plan("euler", acp, 5, spacing="uniform")), "unknown spacing -> ValueError")
    check(raises(lambda: sr.run_sampler("euler", model, acp, z, 5, prediction="x0")), "unknown prediction -> ValueError")
    check(raises(lambda: sr.run_sampler("euler_a", model, acp, z, 5)), "euler_a without step_noise -> ValueError")
    check(raises(lambda: sr.run_sampler("dpmpp_2m", model, acp, z, 1000)),
          "dpmpp_2m with 1000 of 1000 steps (two equal sigmas) -> ValueError")


if __name__ == "__main__":
    np.seterr(all="raise")
    test_golden()
    test_plan()
    test_gaussian()
    test_noise_and_errors()
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        sys.exit(1)
    print("all checks passed")
