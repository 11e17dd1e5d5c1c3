/**
 * random against JAX itself: reference values from JAX 0.11.2 on its CPU
 * backend (jax_threefry_partitionable=True, the default; float32, and float64
 * with jax_enable_x64), e.g. `jax.random.split(jax.random.PRNGKey(42), 3)`,
 * `jax.random.normal(PRNGKey(0), (1000,))`. Keys, bits, uniforms on the
 * default range, randint, permutation, bernoulli, categorical and choice are
 * bit-identical, uniform on any range too, and with `exact: true` float32
 * normal, gumbel, exponential and truncatedNormal (XLA's own log/log1p/erf and
 * its fused multiply-adds rebuilt: src/random/xla-log.ts, xla-erf.ts; many more
 * samples in random-bit-identical.test.ts). By default (`exact` off: ~3x
 * faster on the CPU) they use lax's log/log1p/erf and plain multiply-adds, and
 * a few samples differ in the last bits; float64 normal too either way. Those
 * are checked for that.
 */
import { describe, expect, it } from "vitest";
import "../src/index.js";
import * as lax from "../src/lax/index.js";
import * as np from "../src/numpy/index.js";
import * as random from "../src/random/index.js";
import type { Value } from "../src/trace/core.js";

const jax = {
  "key_0": [0,0],
  "key_42": [0,42],
  "key_m1": [0,4294967295],
  "key_4294967295": [0,4294967295],
  "split_0_2": [[1797259609,2579123966],[928981903,3453687069]],
  "split_42_3": [[1832780943,270669613],[64467757,2916123636],[2465931498,255383827]],
  "split_7_5": [[3625411723,1954958720],[195045567,4062205631],[966301609,1948237315],[276534068,1641862660],[51277378,3088387524]],
  "split_7_2x3": [[[3625411723,1954958720],[195045567,4062205631],[966301609,1948237315]],[[276534068,1641862660],[51277378,3088387524],[3583082021,1947592014]]],
  "fold_0_0": [1797259609,2579123966],
  "fold_0_1": [928981903,3453687069],
  "fold_42_123456789": [801338215,1032655946],
  "fold_42_max": [2398536845,3890976714],
  "bits_0_5": [4070199207,4202968722,1427181096,2012915765,2447653815],
  "bits_42_2x3": [[2098992034,2919706841,2646866425],[2409546199,1935504149,2516274904]],
  "bits_1_scalar": 1883912375,
  "uniform_0_5": [0.9476670026779175,0.9785798788070679,0.33229148387908936,0.46866846084594727,0.569888710975647],
  "uniform_42_3x7": [[0.48870956897735596,0.6797971725463867,0.6162714958190918,0.5610160827636719,0.4506446123123169,0.58586585521698,0.07480943202972412],[0.7751333713531494,0.698959231376648,0.8186336755752563,0.3503051996231079,0.8728200197219849,0.9258813858032227,0.8601306676864624],[0.4775540828704834,0.8184818029403687,0.7113544940948486,0.5866972208023071,0.07373738288879395,0.7776222229003906,0.40456557273864746]],
  "uniform_1_scalar": 0.4386324882507324,
  "uniform_4_2x3_arr": [[17.610933303833008,15.397777557373047,2.800724506378174],[16.309864044189453,15.013562202453613,15.932458877563477]],
  "uniform_3_11_m2_3": [-1.629737138748169,2.6907215118408203,1.2447850704193115,2.8781049251556396,-0.6081111431121826,0.914690375328064,-1.4674724340438843,-0.09216976165771484,-0.9454299211502075,-1.3601888418197632,1.6845558881759644],
  "normal_42_3x5": [[-0.02830461598932743,0.4671318531036377,0.2957029640674591,0.15354591608047485,-0.12403281778097153],[0.21692314743995667,-1.440878987312317,0.755859911441803,0.5214096307754517,0.9101703763008118],[-0.3844965994358063,1.139823317527771,1.4457862377166748,1.080906629562378,-0.05629321187734604]],
  "normal_1_scalar": -0.15443718433380127,
  "bernoulli_3_03_20": [1,0,0,0,1,0,1,0,1,1,0,1,0,1,0,1,0,0,0,1],
  "bernoulli_3_arr_4x2": [[1,0],[0,0],[0,1],[0,1]],
  "randint_4_10_0_10": [4,6,7,0,0,9,9,9,0,4],
  "randint_5_3x4_m5_100": [[61,58,58,76],[39,41,-1,68],[29,19,88,42]],
  "randint_6_6_0_big": [828436750,3478711,90254460,1425448615,764107081,179519181],
  "randint_7_5_empty": [10,10,10,10,10],
  "randint_8_6_u32": [423,409,467,877,198,868],
  "randint_9_6_neg": [-1561035775,-1145407839,427967928,-1386937731,172245731,1409719618],
  "perm_6_10": [2,7,0,6,3,1,5,8,4,9],
  "perm_7_50": [45,10,9,17,12,30,41,37,4,33,49,25,32,44,31,40,2,47,38,3,46,26,29,11,5,22,28,34,23,24,48,14,16,0,39,19,18,27,43,7,13,6,20,1,36,42,15,35,21,8],
  "perm_9_rows": [[0,1,2],[9,10,11],[3,4,5],[6,7,8]],
  "perm_9_indep_ax1": [[0,1,2],[3,4,5],[6,8,7],[10,9,11]],
  "cat_10_20": [3,3,1,3,1,3,0,3,3,1,1,2,2,3,3,3,3,3,3,3],
  "cat_10_3x5": [2,4,0],
  "cat_10_3x5_ax0": [2,2,2,1,1],
  "cat_10_3x5_shape": [[2,4,0],[2,4,4]],
  "gumbel_11_8": [-0.44576406478881836,-1.3804676532745361,1.1449953317642212,-0.06199226528406143,0.7040789723396301,-0.15570767223834991,-1.3576186895370483,1.6784307956695557],
  "exponential_12_6": [0.9182754755020142,0.761666476726532,0.78696608543396,0.254835844039917,0.8164321184158325,0.02178565226495266],
  "truncnorm_13_6": [1.352756142616272,-0.1147041916847229,1.2251468896865845,1.4534714221954346,0.18948093056678772,0.8466538190841675],
  "choice_14_noreplace": [2,8,9,7,0],
  "choice_15_replace": [6,7,9,5,9,6],
  "choice_16_p": [0,3,2,2,1,3,2,3],
  "choice_16_p_noreplace": [0,3,2],
  "choice_17_rows": [[9,10,11],[9,10,11]],
  "uniform64_0_5": [0.41845711171638644,0.21629545460551136,0.9653214611189975,0.5745005337275046,0.5322264882505428],
  "uniform64_42_3x3": [[0.2801826999497272,-0.9549697914540562,0.7224332536986056],[1.1894566907138926,1.063401023691698,0.931813225749831],[0.9339036406330525,0.7790679666115861,-0.28984521546644926]],
  normal_0_1000_f32_base64: "vbLPP/CdAUAXAN6+IgKhvSxRND7X2ni/zJf9vjEf/T7MEio/6j1zv219C0BgQvq/lZa3PgyVIT6Dd6M/6VbBP+l8eD/qfxk/IlnKPCBP9b8n/+2/0zPdP6tKQT2xalA/w3oGPlTRkD4ZLp8/MrYwPyH9TL+FsT2/V/jEv236mj6ytKm8IAPoPU7zYb4ibpA9mHFaP8VfUr9ycG+8wRIavkNvZr+XUkK/couqPvIqTz9j3i49Q+ITvxks1L79evi/kXaoPwYYQT8glyU+H60OvXFSqr+ZiMk+zRb3PsbHTT9EOyK/9fWEP+7YPb+PI9y+uoBmvugIBb/jqNW/BuQsPzLYaD6jC5e/Ngt6vwA2mT/XXVe/KukoP7+0iD/mfqE+gBXgPmT/lT+tX2g/836cP4/gC7/DNls/4oICvJ1m8j7b9I2/SRwpQEW7Yz+HxX4/NamCPsDr/z2fA5U/RJhFPk+UQ75Yid++pbaSv1BYSj7VlpU/C5dfvzW+YT+fLrC+RqgVvo7cab9XX68/KbNHvwrJuj5T5Hk//gjruxiTVz5R7UI+IQ3EPkUAor9U/72/2ZXqvX1GjT/wOks+zwVbPs8YKb8YKzq/uRLPPos1Qj73aRq/YO9xP4K8ij+2lgPAAr02vzfGFz/Wf4Y/y3i7v4H2KD9He5q+slMIPn9mqr4V9sg/OhMTP8IxOT/qWTI/QwsqvzzF+7/poxrALu6LPkeFlD9I8Yc+b98wP9wag76TdAHAYIUfv8cejz4y16y/UnDPPRY/Az+QLYc+2iDqvwWGtz9C0Kg/u2a/vyzrbj/KYrQ/uOkrvovw8r0Xp3i+2zV2v8+gQb8tqSRA9LOHv5jpnz6gr6c+8qOpPYqVir8psUW/c3UivwP7nD+CVr6/d/lKvy2ZDT/Ev5e/vBZ6P5B84L7H1ai+n0OqPqIYJ79lRJq/GeVivzH3BsCXwR6+PG4ovwTLKb+lpgi9nFtlv2rvnT0p6mi/rFWjP4+ozb4a+3+/xBCOPB0gzz4oIYm/XLGEP4ohK7+/mp+9eKCaP4kzAEDjlpC9Ug2sPqyoFkBfAXm+eh6WPzuMWD+wfzo/+RIZP8hGRL9/cDI+9FIfv/ymVD9Fxak+A9Fjv5KdWD5ebL29e/rOv1cf077BQrQ/qT2EP0xhij99JJO/Q5IDvYrrmL2JVBk/M1eYv6cMIb+Pn2M9OTS7PkbsCz9UtkM/TvCtvsCiuT5WD5i+gtqDP90vdz+FeUE/PT/4PbSiUj9KGBk/smNWvz8wCz+y4qS+x7Pjvt4maj9KNps/ah/mP+95zb/LXqM9QeNEv1oh+b/G9cs/tlZrv/6s27/RNI8/HWBQPpyMOL7nJzM+cRc8v7Xs0T45PMS/wRHavyCgAkAm1lG+0D+tvVjvKj95N7G/qSvCPv18Pb8Ev6Y/m0aDv8cq/j64STO/lSYWvZDw1L5P7n6+acxoP/2GQL73pTe/G4XHPvmlVb5PjUe/GAGmPxThab9iPAg+KzRRP4v9875C1dU+GO0fvNyTbb9TfyY/FrlMwAE37j7Q0as+oqqvPLCijb7e4i09ouaZvjmzIb+w/Jy/jDE2v3/8XL2E7gXA+Y/yPglSzL/pqR2+UsUcwGdVJj9FEDW/PPcjPu6+yL9x2HA+Z9qUPz/M2T7cM8m+BtJBP0ur6r3Of4m/ft4lv4FGaL+xb2M+YG/KPku7Nj7ga229NEaGP9sVrD/2ksa9xiC9PUArXT+KS5I67BmHvyL7iz8UG6u/8sxkP4TkHD0a5BPAePWFPnd/Ez/tUDY/LJbnPZZP6L9sIYY/gMqdv0TSTz3nequ/bUMRQKemUD4nXQY/dO+gvzvE1b66VSE/LC8Bv/GTI0AjXGs937LgPrCNeb76xqQ/iCCSPz9RBT8QL14+QRqSP0oPZT+JkOc/Kjr0v8vWf7//dzY/wG8iv09c/737eC8/Sot6PzZ+i74F+p+/QA9kvx9E0D0Ci3I/PVLIPaUboT+I2oU/Lwg+vsKLAz8pofu/KXIev4LFy78LaEu/SButP6ziBT4HrYo/0W9LP1SCLr6Xzty9BiVevwl84DzBsrY/RcCrvsx2QbzB5Da/CwmmP+JixL+je0K/7LgnPvY7078EKb4/Uk3cv1upDr0R9xBAyj35PlFgTT+LywC/4YDBv1mHnb898d++A5r1vVHtB76wKHs/7JpNvkaUWD8qG0I/b8SvP3aT/z5X1pc9rzySPxabmD9jZMU/jRMkwAsYF7866Ni/NC6aPuWQcj/ljAO+rmgbv8TBGb/J51LA9uupPv0nsz75bk2/PFK4PXkWWz8sqSK/bfNAvlj6Wj9QaUW/dpC+P9+YD7/7oBs/f7OQP0lgmr+rSWA/0nPJPgPjCj+rxHw/hRvGPzz7jr/Kbnc/fgrBv3QR1r5Q5lC/F2QyvxiLg76h5N8+Z1omu4JrFUBLYHe8+t4ov9Rd7r6vr6y/EA8oPT8j5j6TGai+CMO+O+3Par+kJww/fvTMPXTEDT/YqUs/0AIVP/iV4T7xSRE+bazNv1VIrz1WxPE+nXItPxPSOr493s89RMsDvPdo+z9Z7Y6/GdjHvyPe8r4FQvU/mb2Yv2arkr57BAA+ewuRP25ejL5Lrii+iGDdv1ncjz8arCq/9T6VPdXyhT/KMMe/i3CCvp+VUb/YImQ/v9eiPvg4BkC/b94/iOO0vzJbP780qCo/21M9P9Y6ZT/pQxs+hCGxP+QDDL4swU8/Hi/evudiSz831ie/v/ywv1u0rb4YR5a+ZIq7PyxT2z8URLO/lTaQP4/j/r4+2xe/zI+6v3eCLcA1AwDArbxyv16B474kW1A/WxaYvRXgvj3nwp2//msLvBtwUj6Rvxe+dzK9vYw9Yr6OZoY+GFzePaVnRj/jMY8/FElJPxOocD/tE6k/tVsBv1/2kD9tgw8+wKu2vwL/j74yX9W/V1uNP/H+4D/X9tu/HOaOvoytwT8RVVa/QV5Dv/462b3ltm8+jX8twF5dej5uF/M/yhBNP+J3nj9Z8sa9Ygb2v/wyVD9Sefe+KXsGP/z5vDxiFAO/Pn4/v6nq0j79mww/GHNkvggWA7+fMoE+zl3CvXq4iT9Esmy/+YMrv1+QiL9FZCE/1gmXPuIpqj8TabK/DGoKv3YpSb/P2ps+DvfuPpEjiT52trg/A7Fovmxs0j3eWw2/YGUCvxC7gT9LGxw/wMvMPgEKIL/krTM/MS2VvzJoYT97bzo/DwfFPlEZDL75tda+XRiZvl7RHj+5ywW+wRWWP0+kBb+e7NI/LBFPP38zjz/484I/SD6DPzuQVr/o8yG/NdFXP32q8b4cUPW/zW3wPxKYKT9PXde6Q0fGPyvc3L7nnn6/QePNvBf4Ur8yjwE/0SN+vXTmx74wdXK/WVM/voc3VL+/JUS+ON8HwIfCVT9EvHS+CHh3vjB6Zr+0/Ga+ub4dPiMpbT9L31i+yGDTPpcjkz8ufjy/5hdRPl8upD99xSu/WtTqv9XcXD4pHjU/uzIMvwxAoz94khA/wFdoPgoh8b1yCdu+/iHfPP+80D9bD/u+t2QJP61dXj/P0U8/LQ2pPt5bC0CPPzq/qfIUvl22zL/XLY6+8Ifkvskibr8rQAzAIdFPPxUukz2zTCg/5k3UPd7ghb/RmTI/PsREPhEXKD/MJFE/DLj4vdphSD91OLU/V/uuPgdE/D2qoSg/DPJ3v6UrVD+Tu3u9y2LVPukRSz//mqI/A9w+wAJ9tT8Vmtw+s+Ctv3M/bb5WWEU9/XHnvSQVkL75Tp4/BXRJvfAJyD7l9Ze/WH8WP6xJhz8BtzM+MSVSv9EVjr2CPrM/mR6kvn5iTb/KxvO/Qag+PnuiGb/Rt5++rwjLv97R8z47ct2/v5gxv6IwAr+bcEpAsttHPhiOjb4lDKs/sH1wPv9Efb5xZ0s/wVFTP1SGCT/btGw/7aqwv6jqVL7KUNC+wuqrv0gziT8ST+c+GmVnv9+cQD/VeBG/f00iP9ppij+i3YC/0FNrv8cfAMA4eoS/dlC1viTUlb/oDDlAcxhNPkdZeT5lRQQ/w1OfvImenb9EDVI98W3mvlvg073hipc+Z2u4PUCt079JYEG/Y+7tPsh6Lr+PGZu/tQ6Ov/avtL19p/q+93CkPpAg5j7cp7i/YM2KvQlZOb3tQ/C+rz/uPUGs6T+DgSA/7i17vwVH0D4M8tS/CuShPb3+k7/XlZs/fxwavpsJDby+EqI/2lIhv4Bsa7/1otk+nlHXP1sTLryPvI++l3axvsnHHT+PqJ4/uyWmvzAej7/VxSW+A3sqPtnIJD09fHA+LPUdv4j7gb8mYMy/UFjsvpZQgD/bZWw+NlgEQKNsLb9ElDq+Ly59PhfxML6xns6/YsK1PjFhnD+NRIU/E3QuP8GBLb/MtvM/L/evPy4t9z9972O/1xuKPsE/jT/gRnw/ILbVvgcDuj9y0Ca+bncnQDF8kb9g5AW/pgO1P9Zqur9BSA8+BjM6vvrq7L9q5SQ/yXG9vlBOtT7HvLw/PESLv/EfHEAQpKm/2jrnv0C02L5Oe0M/VtAVv8qWFkDLcIU/LGjSPVgJk75pxKm94RgbP37vbj7maUk+73CivR7n8j9EMyO7d3xwPyeioj+3nAG+zmVBPsKkdz6/Igm/SOCtv6oSvr+5dps/nDOiPp3/Rz/lpLM/RymvvWiN5r6c+Z6/lcQQv5gnnD9FFgK/B0SIPYKxKD5XccU/fc+AP5MSob/0WAM/9blDPVzuJT0J0S6/QCTcvQU7GT+aUQfA90yLP1lfLT6s7fu/MhedP+bmqL95+6a+S1Y1PybArz3qJGA/ccGMPgvP6z5QJLo+WiaoviRysj/ilFk+4ZOmPjleCL9E/7Y9aAYFP1BHr79idIe9mlrAP4jBpD84I3q+VO0XPzlZAT/9TTI/VbjIv8xrxD8ENU0/1dPZvxKREr8UCT6/rwrvvrb0a76nCby+olGUPwZUlL6mfV++NsaePgx9pb/LRQNAaOaDPhZ2iL9dxRS/xyIIPrS1Kj/wzD8/TBgDPyBC3D6xjBu+DY9GP8CLlT9a3e8+wTnovseIdL9U84e+s5WnvpH1dD9tTRg/3616wNpxVz+Qg9O+DkPqvS6h779Qv189xYgBvyAL1r9TsAlAJHltvmKksb6rJLS+hDDQPmYNPD9KSMw/Nhy1vwF5eL8ep2M/yUdFv/AMlL+7UMW/Ust2Ppc6dL4OUwLAK3ylv7jpnz5Zvg7Ax0GZv6fBuL+7tKC/snq1v//bMr//9b+/zuLmvgbhLLndxVE/S28uv+VQPL+dYim/AHfMv+6Ya75S4vs90Jw4PgnqXb3jJcC/lzGJvg==",
  normal64_0_200_f64_base64: "HRSaBAlZyr9KexsezRzpv5f3HOawDv0/q2kQykULyD98Q1rowbO0P38X98mp0Ne/JGM7HukK8z+zT0G3UKzVP5lFtYQlt7U/XbmHhO7l67/i35xETN/wPy5UgxG08/i/eUwGucSF1z8TKho8fSEEQGtsYd1UjNA/sihXxk8o0r9y7zDiohXhv/mjLXh0jNc/Eajb0FoVyb+aPH/TshD4Pzf1kzatO64/o8PF/1Ufwj8vUz/kRyHIP5WBkwPo7Kc/ihMIbaid9r+Wvj5mj/TIv0OkjtryzvE/cLFMhvnQAcCFFt3lyQDiv5wITP6BSdM/EVaZejVy8r8lN4Y0UbeKPxrKk12HevQ/xppTnbJDBMDxXseEUkzvv63tDyGCh/a/kisKWsa98r/wcyNSMPHvP7tivVzUHNu/F9QOkO6s2D/953vH14Dgv9dnap1la5i/KsnG7+mU2T/AeNNgnh36v0UTB7vMybq/Ja3p8hpb5L94Kxrx1kzWP30pr9dwrai/jt4aJZhM1T9Vh4EJlynyvyiuDtd1sv+/kIWZG0vQ5z9KlEgZBKzvv+lCCqMg5KS/SVBhrbNYA0B4mIIA7gLqvx2pFH7LyvC/qt9UAY0p9L9pZ137NcHnv7L2En676OC/JX2DcELw1D+1UMGy7DSzP0+bIeo98P0/9u3kppza5z/6rpg3Qt30v2t04+7O/sg/fPyJrwEP+T/y3kxJwc0BQPekG1/RAPG/iYKDxIDu8D/dSNYC0WflP9KMKBBxSPy/w1otr1zfaj9PzGWK1+/1P4+Mj4Jmjc8/8qSpQgGm3r8psSIJ1vbRP/xAuRWDsf0/SG0RnNpY7b9QaeW91dTUPzKSmIX1Ifo/4DaF2S3leT/B4PUuzdvwPyRF909/sui/2y2mX9o03D9vmfZkhI/0v1diTykUkwRANmJHwR3n+b9KmvEV3YuwPzqC5lMrq7k/XjbwVd8u4r916Q5SnGXlP7at0csqSu2/nf6MW5nf3z9QxqcrwhXlPzjMOk1TY94/Q3qlJ/Xasr+u/Pi1ci7bP4OVaQys4eK/XoSsNZyA8b8UL4r8fkYEwAbQWIs3ffc/7jT9nceJ0j8fhPt0ILPdP7lrgVqU77A/PTM8ciq/5b8MYP8PqZmhP5WZqpVNldg/EXr9hsBS9L/VPJYn0IbAv4KgonXdZNg/AUynqzeD1786DaZeCqnXv7EpUdzuX/a/neyFa/ki4D/H4oYQUDzAv7yVzyQtF+g/ed5n/Liv4z8rjVERdLnfP7ERZxNVy/u/BytnDrzc/b+N+Nb5Fp29Pw4z06Pa5/C/2Dznpl/orT8DfTHprLLiv7/a2TBi+eS/4u4FubSP1L8EpF/PYjkCwN9XPzaJ9fY/dsd9LwDp9791Pffxo8TlP8cFqvSCVZK/Wq+A3B3F4L/F1H51G0nwvzuA5VoIc9A/jkStXizQ4T9q5F/I7NW+v2Z4fwZysOO/Jst1EXge878woaT3TBEFwLnLS5VT6Nk/7lXs4xsF7j+7mEaV9eXgv6nHpyA639U/oYOWGtT+xb+p2xfaZvD1v/j1knw1VqO/I+GMx7Jn+b/ZUByTD8vpv3sOKtRiWu0/VNxxzw7u1L8IcfykAD3gP/xkNXtXl9Q//i++WtZW8z+aK9Ud3N3rv8FeNgRFvNM/bAzqu2+C9b8WEZ0E46Tjv5fQejpbbsQ/3lMgl0FF37/plLU0BqXOP1a6bkWkAvC/+4q8XxoB47/jIYXHE9PuPyRlzeY1yYe/ijE5cghu5L9uxeqR2pXnP8zL4mVCKfQ/5qlh3JXfsT/B5vv9Kk/TP37yz2OpCgDAdd3Xdz9i+L93j4FzCOvVv8TuEIwd3eE/19Tsetj0mz/SJSjLvXizP4e/BkatH+E/D7QV/BZqzj+ivwidiXbvP6VP2+9xaPW//VFHync4+b8z+LYEERjYP7hly60rQO8/N1QOgcA6/b/15vKpAZj1P3TOZJA9hfw/xDj1KAsX5j+T/xk9QJzrP0aAlP8Bvu6/FzmGHsf8AUCUGwG+Lce5v5JxS292ieK/pZueZxKYuT8sJXPxW2jkP/HY3jEIcLU/LwoQg6fY3b+dWSpikvXtv/2kltNGWL+/k3tdrB92AsCE183ZcsHNvw==",
  perm_8_2000_head: [285,302,1915,1616,931,1493,264,1074,464,206,253,448,80,1897,927,324],
  perm_8_2000_weighted_sum: 2014794504,
};

type Nested = number | Nested[];
const flat = (v: Nested): number[] => (Array.isArray(v) ? (v.flat(Infinity as 1) as number[]) : [v]);
const got = (x: Value) => Array.from(x.dataSync() as ArrayLike<number>);
const K = random.key;

/** Exact equality, element by element, with the shape checked too. */
function same(x: Value, want: Nested) {
  const shape = (v: Nested): number[] => (Array.isArray(v) ? [v.length, ...shape(v[0])] : []);
  expect(x.shape).toEqual(shape(want));
  expect(got(x)).toEqual(flat(want));
}

/** Distance in units in the last place of float32 (or float64). */
function ulps(a: number, b: number, dtype: "float32" | "float64" = "float32"): number {
  if (a === b) return 0;
  const buf = dtype === "float32" ? new Float32Array([a, b]) : new Float64Array([a, b]);
  if (dtype === "float32") {
    const i = new Int32Array(buf.buffer);
    return Math.abs(i[0] - i[1]);
  }
  const i = new BigInt64Array(buf.buffer);
  return Number(i[0] > i[1] ? i[0] - i[1] : i[1] - i[0]);
}

interface Near {
  /** Largest distance in ulps of the result (default 1). */
  maxUlps?: number;
  /** Or: largest absolute difference (for results of a cancelling add). */
  absTol?: number;
  /** Least share of bit-identical elements. */
  exactShare?: number;
  dtype?: "float32" | "float64";
}

/** All close to JAX's (within `maxUlps`, or `absTol`), and at least `exactShare` of them bit-identical. */
function nearlySame(x: Value, want: number[], { maxUlps = 1, absTol, exactShare = 0.5, dtype = "float32" }: Near = {}) {
  const g = got(x);
  expect(g.length).toBe(want.length);
  if (absTol === undefined) expect(Math.max(...g.map((v, i) => ulps(v, want[i], dtype)))).toBeLessThanOrEqual(maxUlps);
  else expect(Math.max(...g.map((v, i) => Math.abs(v - want[i])))).toBeLessThanOrEqual(absTol);
  expect(g.filter((v, i) => v === want[i]).length / g.length).toBeGreaterThanOrEqual(exactShare);
}

const decode = (b64: string, dtype: "float32" | "float64") => {
  const bytes = Buffer.from(b64, "base64");
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return Array.from(dtype === "float32" ? new Float32Array(ab) : new Float64Array(ab));
};

describe("random: bit-identical to JAX", () => {
  it("key(seed) is [0, seed mod 2^32]", () => {
    same(K(0), jax.key_0);
    same(K(42), jax.key_42);
    same(K(-1), jax.key_m1);
    same(K(2 ** 32 - 1), jax.key_4294967295);
    expect(K(0).dtype).toBe("uint32");
  });
  it("split", () => {
    same(random.splitArray(K(0)), jax.split_0_2);
    same(random.splitArray(K(42), 3), jax.split_42_3);
    same(random.splitArray(K(7), 5), jax.split_7_5);
    same(random.splitArray(K(7), [2, 3]), jax.split_7_2x3);
    const [a, b] = random.split(K(0));
    same(a, jax.split_0_2[0]);
    same(b, jax.split_0_2[1]);
  });
  it("foldIn", () => {
    same(random.foldIn(K(0), 0), jax.fold_0_0);
    same(random.foldIn(K(0), 1), jax.fold_0_1);
    same(random.foldIn(K(42), 123456789), jax.fold_42_123456789);
    same(random.foldIn(K(42), 2 ** 32 - 1), jax.fold_42_max);
  });
  it("bits", () => {
    same(random.bits(K(0), [5]), jax.bits_0_5);
    same(random.bits(K(42), [2, 3]), jax.bits_42_2x3);
    same(random.bits(K(1)), jax.bits_1_scalar);
  });
  it("uniform on [0, 1), and with array bounds", () => {
    same(random.uniform(K(0), [5]), jax.uniform_0_5);
    same(random.uniform(K(42), [3, 7]), jax.uniform_42_3x7);
    same(random.uniform(K(1)), jax.uniform_1_scalar);
    const minval = np.array([[0], [10]], { dtype: "float32" });
    same(random.uniform(K(4), [2, 3], { minval, maxval: 20 }), jax.uniform_4_2x3_arr);
    same(random.uniform(K(0), [5], { dtype: "float64" }), jax.uniform64_0_5);
  });
  it("uniform on a shifted range: XLA's fused multiply-add, rebuilt exactly (more in trust-rounding.test.ts)", () => {
    nearlySame(random.uniform(K(3), [11], { minval: -2, maxval: 3 }), jax.uniform_3_11_m2_3, { absTol: 0 });
    nearlySame(random.uniform(K(42), [3, 3], { dtype: "float64", minval: -1, maxval: 2 }), flat(jax.uniform64_42_3x3), {
      dtype: "float64",
      absTol: 0,
    });
  });
  it("normal (default): 95% bit-identical, the rest within a few ulps (XLA's FMAs and log1p in erfinv)", () => {
    nearlySame(random.normal(K(0), [1000]), decode(jax.normal_0_1000_f32_base64, "float32"), { maxUlps: 4, exactShare: 0.94 });
    nearlySame(random.normal(K(42), [3, 5]), flat(jax.normal_42_3x5), { maxUlps: 4, exactShare: 0.9 });
  });
  it("normal: float32 with exact bit-identical; float64 the same samples within a few ulps (XLA's float64 log1p and FMAs not rebuilt)", () => {
    const exact = { exact: true };
    nearlySame(random.normal(K(0), [1000], exact), decode(jax.normal_0_1000_f32_base64, "float32"), { absTol: 0, exactShare: 1 });
    same(random.normal(K(42), [3, 5], exact), jax.normal_42_3x5);
    same(random.normal(K(1), [], exact), jax.normal_1_scalar);
    nearlySame(random.normal(K(0), [200], { dtype: "float64" }), decode(jax.normal64_0_200_f64_base64, "float64"), {
      dtype: "float64",
      maxUlps: 4,
      exactShare: 0.9,
    });
  });
  it("bernoulli", () => {
    same(random.bernoulli(K(3), 0.3, [20]), jax.bernoulli_3_03_20);
    same(random.bernoulli(K(3), np.array([0.1, 0.9], { dtype: "float32" }), [4, 2]), jax.bernoulli_3_arr_4x2);
  });
  it("randint, including empty ranges, the full int32 range and uint32", () => {
    same(random.randint(K(4), [10], 0, 10), jax.randint_4_10_0_10);
    same(random.randint(K(5), [3, 4], -5, 100), jax.randint_5_3x4_m5_100);
    same(random.randint(K(6), [6], 0, 2 ** 31 - 1), jax.randint_6_6_0_big);
    same(random.randint(K(7), [5], 10, 3), jax.randint_7_5_empty);
    same(random.randint(K(8), [6], 0, 1000, { dtype: "uint32" }), jax.randint_8_6_u32);
    same(random.randint(K(9), [6], -(2 ** 31), 2 ** 31 - 1), jax.randint_9_6_neg);
  });
  it("permutation: one sorting round, two rounds (n > 1625), rows, independent", () => {
    same(random.permutation(K(6), 10), jax.perm_6_10);
    same(random.permutation(K(7), 50), jax.perm_7_50);
    const p = got(random.permutation(K(8), 2000));
    expect(p.slice(0, 16)).toEqual(jax.perm_8_2000_head);
    expect(p.reduce((s, v, i) => s + v * i, 0)).toBe(jax.perm_8_2000_weighted_sum);
    const x = lax.reshape(lax.iota("int32", 12), [4, 3]);
    same(random.permutation(K(9), x), jax.perm_9_rows);
    same(random.permutation(K(9), x, { axis: 1, independent: true }), jax.perm_9_indep_ax1);
  });
  it("categorical", () => {
    const logits = np.array([0.1, 1.0, -0.5, 2.0], { dtype: "float32" });
    same(random.categorical(K(10), logits, { shape: [20] }), jax.cat_10_20);
    const l35 = lax.div(lax.reshape(lax.convert(lax.iota("int32", 15), "float32"), [3, 5]), 5);
    same(random.categorical(K(10), l35), jax.cat_10_3x5);
    same(random.categorical(K(10), l35, { axis: 0 }), jax.cat_10_3x5_ax0);
    same(random.categorical(K(10), l35, { shape: [2, 3] }), jax.cat_10_3x5_shape);
  });
  it("choice", () => {
    const p = np.array([0.1, 0.2, 0.3, 0.4], { dtype: "float32" });
    same(random.choice(K(14), 10, { shape: [5], replace: false }), jax.choice_14_noreplace);
    same(random.choice(K(15), 10, { shape: [6] }), jax.choice_15_replace);
    same(random.choice(K(16), 4, { shape: [8], p }), jax.choice_16_p);
    same(random.choice(K(16), 4, { shape: [3], replace: false, p }), jax.choice_16_p_noreplace);
    same(random.choice(K(17), lax.reshape(lax.iota("int32", 12), [4, 3]), { shape: [2] }), jax.choice_17_rows);
  });
  it("gumbel, exponential, truncatedNormal (float32) with exact: bit-identical (XLA's log, log1p and erf rebuilt)", () => {
    same(random.gumbel(K(11), [8], { exact: true }), jax.gumbel_11_8);
    same(random.exponential(K(12), [6], { exact: true }), jax.exponential_12_6);
    same(random.truncatedNormal(K(13), -1, 2, { shape: [6], exact: true }), jax.truncnorm_13_6);
  });
  it("gumbel, exponential, truncatedNormal (default): lax's log/erf differ from XLA's in the last bits", () => {
    nearlySame(random.gumbel(K(11), [8]), jax.gumbel_11_8, { maxUlps: 2, exactShare: 0.5 });
    nearlySame(random.exponential(K(12), [6]), jax.exponential_12_6, { maxUlps: 2, exactShare: 0.5 });
    // erf and erf_inv differ from XLA's float32 polynomials, and the inverse-CDF method amplifies that near the bounds
    nearlySame(random.truncatedNormal(K(13), -1, 2, { shape: [6] }), jax.truncnorm_13_6, { maxUlps: 16, exactShare: 0 });
  });
  it("exact must be a boolean", () => {
    expect(() => random.normal(K(0), [2], { exact: 1 as unknown as boolean })).toThrow(/random\.normal: exact must be true or false/);
  });
});
