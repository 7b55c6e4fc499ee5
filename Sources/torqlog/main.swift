print("torqlog")
