"""The local-enterprise census: import the registers staff hold (规上工业企业名录, 企查查 /
天眼查 exports, 开发区 and 专业镇 member lists) into the store.

========  ===========================================================================