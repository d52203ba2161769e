import fentanet
r = fentanet.simulate("toy", seed=1, interventions=[{"kind": "naloxone", "intensity": 0.5}])
print(type(r.series).__name__, r.series.shape, list(r.series.columns))
print(type(r.summary))
r.plot()
cmp = fentanet.compare("toy", {"raids": [{"kind": "lab_raids", "intensity": 2}]}, seed=1)
print(cmp.table)
print(fentanet.compare("toy", ["naloxone", "lab-raids"], seed=1).table)
r.save("r_out"); cmp.save("cmp_out")
